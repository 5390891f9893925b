import CHDF5

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A small read-only reader for HDF5 files: groups, string attributes and float datasets.
///
/// The file stays open for the life of the object and is closed when it is released.
/// Instances are immutable and every call into libhdf5 holds one process-wide lock, so an
/// `HDF5File` may be shared between threads and tasks freely.
///
/// Object paths are HDF5 paths such as `"/model_weights/dense/dense/kernel:0"`; a leading
/// `/` is optional (paths are always taken from the root of the file).
public final class HDF5File: Sendable {
    /// The path the file was opened from, as given.
    public let path: String
    /// The size of the file on disk in bytes, taken when it was opened.
    public let fileSize: Int
    /// libhdf5's identifier of the open file. Use only inside `HDF5Library.locked`.
    let fileID: hid_t
    /// For a file opened from memory: the image libhdf5 reads in place (owned, freed after close).
    nonisolated(unsafe) private let image: UnsafeMutableRawBufferPointer?

    /// Opens the HDF5 file at `path` for reading.
    ///
    /// - Throws: `.fileNotFound`, `.fileUnreadable`, `.emptyFile`, `.kerasArchive` (a zip
    ///   file, as Keras 3 `.keras` archives are), `.notHDF5`, or `.corruptFile` when the file
    ///   has the HDF5 signature but libhdf5 cannot open it (for example a truncated file).
    public init(path: String) throws(KerasFormatError) {
        let probe = try FileProbe(path: path)
        if probe.size == 0 {
            throw .emptyFile(path: path)
        }
        if probe.head.starts(with: [0x50, 0x4B, 0x03, 0x04]) || probe.head.starts(with: [0x50, 0x4B, 0x05, 0x06]) {
            throw .kerasArchive(path: path)
        }
        self.path = path
        self.fileSize = probe.size
        self.image = nil
        self.fileID = try HDF5Library.locked { () throws(KerasFormatError) -> hid_t in
            // H5Fis_hdf5 looks for the signature at 0, 512, 1024, ... (files may carry a user block).
            guard H5Fis_hdf5(path) > 0 else {
                throw .notHDF5(path: path)
            }
            let id = H5Fopen(path, cvr_H5F_ACC_RDONLY(), cvr_H5P_DEFAULT())
            guard id >= 0 else {
                let detail = HDF5Library.innermostErrorDescription()
                if detail.contains("unable to lock file") || detail.contains("unable to flock file") {
                    // libhdf5 takes a shared lock; a program writing the file holds an exclusive one.
                    throw .fileUnreadable(path: path, reason: "another program holds a lock on it, probably while writing it (\(detail))")
                }
                throw .corruptFile(path: path, object: nil, detail: detail)
            }
            return id
        }
    }

    /// Opens an HDF5 file held in memory (the `model.weights.h5` member of a `.keras`
    /// archive), read-only, through libhdf5's file images, without writing a temporary file
    /// and without copying: libhdf5 reads `image` in place.
    ///
    /// - Parameters:
    ///   - image: the file's bytes; this object takes ownership and deallocates it when it is
    ///     released (also when the init throws).
    ///   - path: the name to use in messages (the archive's path).
    /// - Throws: `.notHDF5` when the bytes lack the HDF5 signature, `.corruptFile` when
    ///   libhdf5 cannot open them.
    public init(image: UnsafeMutableRawBufferPointer, path: String) throws(KerasFormatError) {
        guard image.count >= 8, image.starts(with: [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]) else {
            image.deallocate()
            throw .notHDF5(path: path)
        }
        do {
            self.fileID = try HDF5Library.locked { () throws(KerasFormatError) -> hid_t in
                let id = cvr_H5_open_file_image(image.baseAddress, image.count)
                guard id >= 0 else {
                    throw .corruptFile(path: path, object: nil, detail: HDF5Library.innermostErrorDescription())
                }
                return id
            }
        } catch {
            image.deallocate()
            throw error
        }
        self.path = path
        self.fileSize = image.count
        self.image = image
    }

    deinit {
        let id = fileID
        HDF5Library.locked { _ = H5Fclose(id) }
        image?.deallocate()
    }

    // MARK: - Public queries

    /// The version of the libhdf5 this process runs with, e.g. "1.10.8".
    public static var libraryVersion: String { HDF5Library.version }

    /// Whether an object (group, dataset or named datatype) exists at `objectPath`.
    public func exists(_ objectPath: String) -> Bool {
        HDF5Library.locked { unlockedExists(objectPath) }
    }

    /// Whether `objectPath` names a group.
    public func isGroup(_ objectPath: String) -> Bool {
        HDF5Library.locked { unlockedObjectKind(objectPath) == .group }
    }

    /// Whether `objectPath` names a dataset.
    public func isDataset(_ objectPath: String) -> Bool {
        HDF5Library.locked { unlockedObjectKind(objectPath) == .dataset }
    }

    /// The names of the links in the group at `groupPath`, sorted by name.
    ///
    /// - Throws: `.objectNotFound`, `.wrongObjectKind` if it is not a group, `.corruptFile`.
    public func childNames(ofGroup groupPath: String = "/") throws(KerasFormatError) -> [String] {
        try HDF5Library.locked { () throws(KerasFormatError) -> [String] in
            try unlockedChildNames(ofGroup: groupPath)
        }
    }

    /// The names of all attributes of the object at `objectPath`, sorted by name.
    ///
    /// - Throws: `.objectNotFound` or `.corruptFile`.
    public func attributeNames(at objectPath: String = "/") throws(KerasFormatError) -> [String] {
        try HDF5Library.locked { () throws(KerasFormatError) -> [String] in
            try unlockedAttributeNames(at: objectPath)
        }
    }

    /// The value of a string attribute of the object at `objectPath`.
    ///
    /// Accepts fixed-length strings (null-terminated, null-padded or space-padded; numpy `S`
    /// as Keras 2 writes them) and variable-length strings (h5py's `str`), as a scalar or as
    /// a one-element array. Bytes are decoded as UTF-8 (ASCII included).
    ///
    /// - Returns: nil when the object or the attribute does not exist, when the attribute is
    ///   not of string type, or when it is an array of other than one element.
    public func stringAttribute(_ name: String, at objectPath: String = "/") -> String? {
        guard let values = stringArrayAttribute(name, at: objectPath), values.count == 1 else { return nil }
        return values[0]
    }

    /// The values of a string attribute of the object at `objectPath`, flattened in row-major order.
    ///
    /// Accepts the same encodings as `stringAttribute`; a scalar gives a one-element array and
    /// an attribute with no elements gives `[]` whatever its type (Keras writes an empty
    /// `weight_names` as an empty float64 array).
    ///
    /// - Returns: nil when the object or the attribute does not exist or is not of string type.
    public func stringArrayAttribute(_ name: String, at objectPath: String = "/") -> [String]? {
        HDF5Library.locked { () -> [String]? in
            unlockedWithObject(objectPath) { object in
                Self.unlockedReadStringArrayAttribute(name, of: object)
            } ?? nil
        }
    }

    /// The dimensions of the dataset at `datasetPath` (`[]` for a scalar dataset).
    ///
    /// - Throws: `.objectNotFound`, `.wrongObjectKind`, `.corruptFile`.
    public func datasetShape(_ datasetPath: String) throws(KerasFormatError) -> [Int] {
        try HDF5Library.locked { () throws(KerasFormatError) -> [Int] in
            let dataset = try unlockedOpenDataset(datasetPath)
            defer { _ = H5Dclose(dataset) }
            return try unlockedShape(of: dataset, datasetPath)
        }
    }

    /// Reads the float16, float32 or float64 dataset at `datasetPath`, converted to `Float`.
    ///
    /// - Returns: the dimensions (`[]` for a scalar) and the values in row-major order.
    /// - Throws: `.objectNotFound`, `.wrongObjectKind`, `.unsupportedDatatype`, `.corruptFile`
    ///   (including data that would lie past the end of a truncated file).
    public func readFloatDataset(_ datasetPath: String) throws(KerasFormatError) -> (shape: [Int], values: [Float]) {
        try HDF5Library.locked { () throws(KerasFormatError) -> (shape: [Int], values: [Float]) in
            let dataset = try unlockedOpenDataset(datasetPath)
            defer { _ = H5Dclose(dataset) }
            let shape = try unlockedShape(of: dataset, datasetPath)
            let count = shape.reduce(1, *)  // cannot overflow: checked by unlockedShape
            // Before allocating: a crafted header can declare any size (tested by the
            // weights fuzz target, tools/fuzz).
            try unlockedCheckFullyStored(dataset, datasetPath, elements: count)
            var failure: KerasFormatError?
            let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                do throws(KerasFormatError) {
                    try unlockedRead(dataset, datasetPath, into: buffer)
                    initialized = count
                } catch {
                    failure = error
                    initialized = 0
                }
            }
            if let failure { throw failure }
            return (shape, values)
        }
    }

    /// Reads the float16, float32 or float64 dataset at `datasetPath` straight into `buffer`,
    /// converted to `Float`, without an intermediate copy.
    ///
    /// - Parameter buffer: must have exactly as many elements as the dataset. On error its
    ///   contents are unspecified.
    /// - Returns: the dimensions of the dataset.
    /// - Throws: `.bufferSizeMismatch` and the errors of `readFloatDataset(_:)`.
    @discardableResult
    public func readFloatDataset(_ datasetPath: String, into buffer: UnsafeMutableBufferPointer<Float>) throws(KerasFormatError) -> [Int] {
        try HDF5Library.locked { () throws(KerasFormatError) -> [Int] in
            let dataset = try unlockedOpenDataset(datasetPath)
            defer { _ = H5Dclose(dataset) }
            let shape = try unlockedShape(of: dataset, datasetPath)
            let count = shape.reduce(1, *)
            guard buffer.count == count else {
                throw .bufferSizeMismatch(path: path, dataset: datasetPath, expected: count, actual: buffer.count)
            }
            try unlockedRead(dataset, datasetPath, into: buffer)
            return shape
        }
    }

    // MARK: - Building blocks (call only while holding HDF5Library's lock)

    /// What an object is.
    enum ObjectKind: Equatable {
        case group, dataset, other
    }

    /// `objectPath` made absolute and free of empty components.
    static func normalized(_ objectPath: String) -> String {
        "/" + objectPath.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
    }

    /// Whether an object exists at `objectPath`, walking the path one link at a time
    /// (H5Lexists fails rather than answers when an intermediate group is missing).
    func unlockedExists(_ objectPath: String) -> Bool {
        let components = objectPath.split(separator: "/", omittingEmptySubsequences: true)
        var prefix = ""
        for component in components {
            prefix += "/" + component
            guard H5Lexists(fileID, prefix, cvr_H5P_DEFAULT()) > 0 else { return false }
        }
        // The links exist; make sure the last one resolves (a soft link may dangle).
        return H5Oexists_by_name(fileID, Self.normalized(objectPath), cvr_H5P_DEFAULT()) > 0
    }

    /// The kind of the object at `objectPath`, or nil if there is none.
    func unlockedObjectKind(_ objectPath: String) -> ObjectKind? {
        unlockedWithObject(objectPath) { object in
            switch H5Iget_type(object) {
            case H5I_GROUP: return .group
            case H5I_DATASET: return .dataset
            default: return .other
            }
        }
    }

    /// Opens the object at `objectPath`, runs `body` with its identifier and closes it.
    /// Returns nil when there is no such object or it cannot be opened.
    func unlockedWithObject<R>(_ objectPath: String, _ body: (hid_t) -> R) -> R? {
        guard unlockedExists(objectPath) else { return nil }
        let object = H5Oopen(fileID, Self.normalized(objectPath), cvr_H5P_DEFAULT())
        guard object >= 0 else { return nil }
        defer { _ = H5Oclose(object) }
        return body(object)
    }

    /// Opens the object at `objectPath`, which must be of kind `kind`; the caller closes it with H5Oclose.
    private func unlockedOpenObject(_ objectPath: String, kind: ObjectKind) throws(KerasFormatError) -> hid_t {
        guard unlockedExists(objectPath) else {
            throw .objectNotFound(path: path, object: objectPath)
        }
        let object = H5Oopen(fileID, Self.normalized(objectPath), cvr_H5P_DEFAULT())
        guard object >= 0 else {
            throw .corruptFile(path: path, object: objectPath, detail: HDF5Library.innermostErrorDescription())
        }
        let actual: ObjectKind
        switch H5Iget_type(object) {
        case H5I_GROUP: actual = .group
        case H5I_DATASET: actual = .dataset
        default: actual = .other
        }
        guard actual == kind else {
            _ = H5Oclose(object)
            throw .wrongObjectKind(path: path, object: objectPath, expected: kind == .group ? "group" : "dataset")
        }
        return object
    }

    /// Opens the dataset at `datasetPath`; the caller closes it with H5Dclose (H5Oclose works too).
    func unlockedOpenDataset(_ datasetPath: String) throws(KerasFormatError) -> hid_t {
        try unlockedOpenObject(datasetPath, kind: .dataset)
    }

    /// The sorted link names of a group.
    func unlockedChildNames(ofGroup groupPath: String) throws(KerasFormatError) -> [String] {
        let group = try unlockedOpenObject(groupPath, kind: .group)
        defer { _ = H5Oclose(group) }
        var info = H5G_info_t()
        guard H5Gget_info(group, &info) >= 0 else {
            throw .corruptFile(path: path, object: groupPath, detail: HDF5Library.innermostErrorDescription())
        }
        var names: [String] = []
        names.reserveCapacity(Int(info.nlinks))
        for index in 0..<info.nlinks {
            let name = Self.readName { buffer, size in
                H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, index, buffer, size, cvr_H5P_DEFAULT())
            }
            guard let name else {
                throw .corruptFile(path: path, object: groupPath, detail: HDF5Library.innermostErrorDescription())
            }
            names.append(name)
        }
        return names
    }

    /// The sorted attribute names of an object.
    func unlockedAttributeNames(at objectPath: String) throws(KerasFormatError) -> [String] {
        guard unlockedExists(objectPath) else {
            throw .objectNotFound(path: path, object: objectPath)
        }
        let object = H5Oopen(fileID, Self.normalized(objectPath), cvr_H5P_DEFAULT())
        guard object >= 0 else {
            throw .corruptFile(path: path, object: objectPath, detail: HDF5Library.innermostErrorDescription())
        }
        defer { _ = H5Oclose(object) }
        let count = cvr_H5_attribute_count(object)
        guard count >= 0 else {
            throw .corruptFile(path: path, object: objectPath, detail: HDF5Library.innermostErrorDescription())
        }
        var names: [String] = []
        for index in 0..<hsize_t(count) {
            let name = Self.readName { buffer, size in
                H5Aget_name_by_idx(object, ".", H5_INDEX_NAME, H5_ITER_INC, index, buffer, size, cvr_H5P_DEFAULT())
            }
            guard let name else {
                throw .corruptFile(path: path, object: objectPath, detail: HDF5Library.innermostErrorDescription())
            }
            names.append(name)
        }
        return names
    }

    /// The size in bytes of the file an open object belongs to (0 if libhdf5 cannot tell).
    static func unlockedFileSize(of object: hid_t) -> UInt64 {
        let file = H5Iget_file_id(object)
        guard file >= 0 else { return 0 }
        defer { _ = H5Fclose(file) }
        var size: hsize_t = 0
        guard H5Fget_filesize(file, &size) >= 0 else { return 0 }
        return UInt64(size)
    }

    /// Calls a libhdf5 "get name" function twice: once for the length, once for the text.
    private static func readName(_ get: (UnsafeMutablePointer<CChar>?, Int) -> Int) -> String? {
        let length = get(nil, 0)
        guard length >= 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: length + 1)
        let written = buffer.withUnsafeMutableBufferPointer { raw in get(raw.baseAddress, raw.count) }
        guard written >= 0 else { return nil }
        return buffer.withUnsafeBufferPointer { raw in
            String(decoding: raw.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// Reads a string attribute (fixed- or variable-length, scalar or any rank) of an open object.
    /// Returns `[]` for an attribute without elements, nil if it is missing, not a string, or
    /// declares more elements than its file can hold.
    static func unlockedReadStringArrayAttribute(_ name: String, of object: hid_t) -> [String]? {
        guard H5Aexists(object, name) > 0 else { return nil }
        let attribute = H5Aopen(object, name, cvr_H5P_DEFAULT())
        guard attribute >= 0 else { return nil }
        defer { _ = H5Aclose(attribute) }
        let space = H5Aget_space(attribute)
        guard space >= 0 else { return nil }
        defer { _ = H5Sclose(space) }
        let points = H5Sget_simple_extent_npoints(space)
        guard points >= 0 else { return nil }
        if points == 0 { return [] }
        let count = Int(points)
        let fileType = H5Aget_type(attribute)
        guard fileType >= 0 else { return nil }
        defer { _ = H5Tclose(fileType) }
        guard H5Tget_class(fileType) == H5T_STRING else { return nil }
        // Every element takes at least one byte of the file (a variable-length string, 16), and
        // the attribute's data lies in the file. A damaged header can declare billions of
        // elements, which libhdf5 would convert one by one (and we would allocate room for).
        guard UInt64(count) <= unlockedFileSize(of: object) else { return nil }

        if H5Tis_variable_str(fileType) > 0 {
            let memoryType = H5Tcopy(cvr_H5T_C_S1())
            guard memoryType >= 0 else { return nil }
            defer { _ = H5Tclose(memoryType) }
            guard H5Tset_size(memoryType, cvr_H5T_VARIABLE()) >= 0,
                  H5Tset_cset(memoryType, H5Tget_cset(fileType)) >= 0 else { return nil }
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            let status = pointers.withUnsafeMutableBufferPointer { raw in
                H5Aread(attribute, memoryType, UnsafeMutableRawPointer(raw.baseAddress))
            }
            defer {
                for pointer in pointers { if let pointer { _ = H5free_memory(pointer) } }
            }
            guard status >= 0 else { return nil }
            return pointers.map { pointer in pointer.map { String(cString: $0) } ?? "" }
        }

        let size = H5Tget_size(fileType)
        let (total, overflow) = count.multipliedReportingOverflow(by: size)
        guard size > 0, !overflow, UInt64(total) <= unlockedFileSize(of: object) else { return nil }
        let padding = H5Tget_strpad(fileType)
        var bytes = [UInt8](repeating: 0, count: total)
        let status = bytes.withUnsafeMutableBytes { raw in
            H5Aread(attribute, fileType, raw.baseAddress)
        }
        guard status >= 0 else { return nil }
        var strings: [String] = []
        strings.reserveCapacity(count)
        for index in 0..<count {
            var element = bytes[(index * size)..<((index + 1) * size)]
            if let end = element.firstIndex(of: 0) {
                element = element[..<end]
            }
            if padding == H5T_STR_SPACEPAD {
                while let last = element.last, last == 0x20 { element = element.dropLast() }
            }
            strings.append(String(decoding: element, as: UTF8.self))
        }
        return strings
    }

    /// The dimensions of an open dataset.
    func unlockedShape(of dataset: hid_t, _ datasetPath: String) throws(KerasFormatError) -> [Int] {
        let space = H5Dget_space(dataset)
        guard space >= 0 else {
            throw .corruptFile(path: path, object: datasetPath, detail: HDF5Library.innermostErrorDescription())
        }
        defer { _ = H5Sclose(space) }
        let rank = H5Sget_simple_extent_ndims(space)
        guard rank >= 0 else {
            throw .corruptFile(path: path, object: datasetPath, detail: HDF5Library.innermostErrorDescription())
        }
        if H5Sget_simple_extent_type(space) == H5S_NULL {
            return [0]
        }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        guard H5Sget_simple_extent_dims(space, &dims, nil) >= 0 else {
            throw .corruptFile(path: path, object: datasetPath, detail: HDF5Library.innermostErrorDescription())
        }
        // A damaged or crafted header can declare dimensions whose product (or the byte size
        // of that many float64 values) does not fit in an Int; callers multiply them freely.
        var bytes = 8
        for dim in dims {
            let (product, overflow) = bytes.multipliedReportingOverflow(by: Int(clamping: dim))
            guard dim <= UInt64(Int.max), !overflow else {
                throw .corruptFile(path: path, object: datasetPath,
                                   detail: "its dimensions \(dims) describe more data than can be addressed")
            }
            bytes = product
        }
        return dims.map { Int($0) }
    }

    /// Fails unless all `elements` values of a dataset are stored in the file: contiguous data
    /// of the full size, or every chunk of a chunked dataset. libhdf5 reads missing data as
    /// fill values (zeros), and a header can declare any size with nothing behind it; Keras
    /// always writes every value. Compact data lives in the object header and is always whole.
    func unlockedCheckFullyStored(_ dataset: hid_t, _ datasetPath: String, elements: Int) throws(KerasFormatError) {
        guard elements > 0 else { return }
        let plist = H5Dget_create_plist(dataset)
        guard plist >= 0 else {
            throw .corruptFile(path: path, object: datasetPath, detail: HDF5Library.innermostErrorDescription())
        }
        defer { _ = H5Pclose(plist) }
        switch H5Pget_layout(plist) {
        case H5D_COMPACT:
            return
        case H5D_CHUNKED:
            let space = H5Dget_space(dataset)
            guard space >= 0 else {
                throw .corruptFile(path: path, object: datasetPath, detail: HDF5Library.innermostErrorDescription())
            }
            defer { _ = H5Sclose(space) }
            let rank = Int(H5Sget_simple_extent_ndims(space))
            var dims = [hsize_t](repeating: 0, count: max(rank, 1))
            var chunk = [hsize_t](repeating: 0, count: max(rank, 1))
            var stored: hsize_t = 0
            guard rank >= 0, H5Sget_simple_extent_dims(space, &dims, nil) >= 0,
                  H5Pget_chunk(plist, Int32(max(rank, 1)), &chunk) >= 0,
                  H5Dget_num_chunks(dataset, space, &stored) >= 0 else {
                throw .corruptFile(path: path, object: datasetPath, detail: HDF5Library.innermostErrorDescription())
            }
            var needed: UInt64 = 1
            for axis in 0..<rank {
                guard chunk[axis] > 0 else {
                    throw .corruptFile(path: path, object: datasetPath, detail: "its chunk dimensions \(chunk) include a zero")
                }
                let chunks = dims[axis] / chunk[axis] + (dims[axis] % chunk[axis] == 0 ? 0 : 1)
                let (product, overflow) = needed.multipliedReportingOverflow(by: chunks)
                needed = overflow ? .max : product
            }
            guard UInt64(stored) >= needed else {
                throw .corruptFile(path: path, object: datasetPath,
                                   detail: "only \(stored) of its \(needed) chunks are stored (shape \(dims.prefix(rank).map { Int($0) }))")
            }
        default:
            let type = H5Dget_type(dataset)
            guard type >= 0 else {
                throw .corruptFile(path: path, object: datasetPath, detail: HDF5Library.innermostErrorDescription())
            }
            defer { _ = H5Tclose(type) }
            let (declared, overflow) = elements.multipliedReportingOverflow(by: H5Tget_size(type))
            let stored = H5Dget_storage_size(dataset)
            guard !overflow, stored >= UInt64(declared) else {
                throw .corruptFile(path: path, object: datasetPath,
                                   detail: "it declares \(elements) values but the file stores \(stored) bytes of them")
            }
        }
    }

    /// A short description of an HDF5 datatype for error messages, e.g. "32-bit integer".
    static func describe(_ type: hid_t) -> String {
        let bits = H5Tget_size(type) * 8
        switch H5Tget_class(type) {
        case H5T_INTEGER:
            return H5Tget_sign(type) == H5T_SGN_NONE ? "\(bits)-bit unsigned integer" : "\(bits)-bit integer"
        case H5T_FLOAT: return "\(bits)-bit float"
        case H5T_STRING: return "string"
        case H5T_COMPOUND: return "compound"
        case H5T_ENUM: return "enum (\(bits)-bit)"
        case H5T_BITFIELD: return "bitfield"
        case H5T_OPAQUE: return "opaque"
        case H5T_REFERENCE: return "reference"
        case H5T_VLEN: return "variable-length sequence"
        case H5T_ARRAY: return "array"
        case H5T_TIME: return "time"
        default: return "unknown-class"
        }
    }

    /// Reads an open float dataset into `buffer` (whose count the caller has checked) as
    /// native `Float`, letting libhdf5 convert float16 and float64.
    func unlockedRead(_ dataset: hid_t, _ datasetPath: String, into buffer: UnsafeMutableBufferPointer<Float>) throws(KerasFormatError) {
        let type = H5Dget_type(dataset)
        guard type >= 0 else {
            throw .corruptFile(path: path, object: datasetPath, detail: HDF5Library.innermostErrorDescription())
        }
        defer { _ = H5Tclose(type) }
        let size = H5Tget_size(type)
        guard H5Tget_class(type) == H5T_FLOAT, size == 2 || size == 4 || size == 8 else {
            throw .unsupportedDatatype(path: path, dataset: datasetPath, datatype: Self.describe(type))
        }
        try unlockedCheckStorageInsideFile(dataset, datasetPath)
        try unlockedCheckFullyStored(dataset, datasetPath, elements: buffer.count)
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        let status = H5Dread(dataset, cvr_H5T_NATIVE_FLOAT(), cvr_H5S_ALL(), cvr_H5S_ALL(), cvr_H5P_DEFAULT(), base)
        guard status >= 0 else {
            throw .corruptFile(path: path, object: datasetPath, detail: HDF5Library.innermostErrorDescription())
        }
    }

    /// Fails if the stored data of a dataset would lie past the end of the file.
    ///
    /// libhdf5 refuses to open a file shorter than its superblock says, but a file whose
    /// recorded end was altered (or a damaged object header) can still point past the end,
    /// and libhdf5's default driver then quietly returns zeros. This check turns that into
    /// an error.
    func unlockedCheckStorageInsideFile(_ dataset: hid_t, _ datasetPath: String) throws(KerasFormatError) {
        let fileEnd = UInt64(fileSize)
        let rawOffset = H5Dget_offset(dataset)
        if rawOffset != cvr_HADDR_UNDEF() {
            let offset = UInt64(rawOffset)
            // Contiguous storage: one extent.
            let storage = H5Dget_storage_size(dataset)
            if offset > fileEnd || storage > fileEnd - offset {
                throw .corruptFile(path: path, object: datasetPath,
                                   detail: "its data would end at byte \(offset &+ storage) but the file has only \(fileSize) bytes")
            }
            return
        }
        let plist = H5Dget_create_plist(dataset)
        guard plist >= 0 else { return }
        defer { _ = H5Pclose(plist) }
        guard H5Pget_layout(plist) == H5D_CHUNKED else { return }
        // libhdf5 1.10 wants a real dataspace here (H5S_ALL is refused).
        let space = H5Dget_space(dataset)
        guard space >= 0 else {
            throw .corruptFile(path: path, object: datasetPath, detail: HDF5Library.innermostErrorDescription())
        }
        defer { _ = H5Sclose(space) }
        var chunks: hsize_t = 0
        guard H5Dget_num_chunks(dataset, space, &chunks) >= 0 else {
            throw .corruptFile(path: path, object: datasetPath, detail: HDF5Library.innermostErrorDescription())
        }
        let rank = max(Int(H5Sget_simple_extent_ndims(space)), 1)
        var coordinates = [hsize_t](repeating: 0, count: rank)
        for index in 0..<chunks {
            var filterMask: UInt32 = 0
            var address: haddr_t = 0
            var size: hsize_t = 0
            guard H5Dget_chunk_info(dataset, space, index, &coordinates, &filterMask, &address, &size) >= 0 else {
                throw .corruptFile(path: path, object: datasetPath, detail: HDF5Library.innermostErrorDescription())
            }
            let end = UInt64(address) &+ size
            if address != cvr_HADDR_UNDEF() && (UInt64(address) > fileEnd || size > fileEnd - UInt64(address)) {
                throw .corruptFile(path: path, object: datasetPath,
                                   detail: "chunk \(index) would end at byte \(end) but the file has only \(fileSize) bytes")
            }
        }
    }
}

/// What can be learnt about a path before handing it to libhdf5.
struct FileProbe {
    /// Size in bytes.
    let size: Int
    /// Up to the first 8 bytes.
    let head: [UInt8]

    /// Checks that `path` is a readable, non-directory file and reads its first bytes.
    init(path: String) throws(KerasFormatError) {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR {
                throw .fileNotFound(path: path)
            }
            throw .fileUnreadable(path: path, reason: String(cString: strerror(code)))
        }
        defer { _ = close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw .fileUnreadable(path: path, reason: String(cString: strerror(errno)))
        }
        let typeMask: mode_t = 0o170000
        let directory: mode_t = 0o040000
        guard status.st_mode & typeMask != directory else {
            throw .fileUnreadable(path: path, reason: "it is a directory")
        }
        var head = [UInt8](repeating: 0, count: 8)
        let count = head.withUnsafeMutableBytes { raw in read(descriptor, raw.baseAddress, raw.count) }
        guard count >= 0 else {
            throw .fileUnreadable(path: path, reason: String(cString: strerror(errno)))
        }
        self.size = Int(status.st_size)
        self.head = Array(head.prefix(count))
    }
}
