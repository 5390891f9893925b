import CZip

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The members of a Keras 3 `.keras` archive that cvrnet reads, taken out of the zip with
/// libzip: `metadata.json` (Keras version), `config.json` (the model's graph) and the bytes
/// of `model.weights.h5` (opened by libhdf5 in memory, never written to disk).
///
/// Keras 3 (`saving_lib.save_model`) writes the archive with `zipfile.ZIP_STORED`, but any
/// method libzip decompresses is accepted. libzip checks the archive's consistency when
/// opening (`ZIP_CHECKCONS`) and each member's CRC-32 after reading it, so a truncated or
/// damaged archive is an error, never garbage weights.
struct KerasArchive {
    /// The archive's path, as given.
    let path: String
    /// `metadata.json`, if present (Keras writes it; nothing depends on it).
    let metadataJSON: [UInt8]?
    /// `config.json`.
    let configJSON: [UInt8]
    /// `model.weights.h5`; the caller takes ownership (HDF5File(image:) frees it).
    let weightsImage: UnsafeMutableRawBufferPointer

    /// The largest `config.json` read (CVR-Net's is about 350 kB).
    static let configLimit = 256 << 20

    /// Reads the archive at `path` (already known to start with a zip signature).
    ///
    /// - Throws: `.kerasArchiveUnreadable` (not a zip, truncated, damaged, CRC error),
    ///   `.kerasArchiveMemberMissing` (no `config.json` or no `model.weights.h5`).
    init(path: String, fileSize: Int) throws(KerasFormatError) {
        self.path = path
        var code: Int32 = 0
        guard let archive = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &code) else {
            throw .kerasArchiveUnreadable(path: path, detail: Self.message(code: code))
        }
        defer { zip_discard(archive) }
        configJSON = try Self.read("config.json", from: archive, path: path, fileSize: fileSize, limit: Self.configLimit)
        metadataJSON = try? Self.read("metadata.json", from: archive, path: path, fileSize: fileSize, limit: 1 << 20)
        let weights = try Self.readMember("model.weights.h5", from: archive, path: path, fileSize: fileSize, limit: Int.max)
        weightsImage = weights
    }

    /// The zip_stat fields the size checks need.
    private static let neededStat = UInt64(ZIP_STAT_SIZE) | UInt64(ZIP_STAT_COMP_SIZE) | UInt64(ZIP_STAT_COMP_METHOD)

    private static func message(code: Int32) -> String {
        var error = zip_error_t()
        zip_error_init_with_code(&error, code)
        defer { zip_error_fini(&error) }
        return String(cString: zip_error_strerror(&error))
    }

    private static func message(of archive: OpaquePointer) -> String {
        guard let error = zip_get_error(archive) else { return "unknown libzip error" }
        return String(cString: zip_error_strerror(error))
    }

    private static func read(_ member: String, from archive: OpaquePointer, path: String, fileSize: Int,
                             limit: Int) throws(KerasFormatError) -> [UInt8] {
        let raw = try readMember(member, from: archive, path: path, fileSize: fileSize, limit: limit)
        defer { raw.deallocate() }
        return Array(raw)
    }

    /// Reads one member whole into newly allocated memory, after checking that the sizes
    /// the zip directory declares are possible for a file of `fileSize` bytes (a crafted
    /// directory can declare any size; nothing is allocated from such a claim).
    private static func readMember(_ member: String, from archive: OpaquePointer, path: String, fileSize: Int,
                                   limit: Int) throws(KerasFormatError) -> UnsafeMutableRawBufferPointer {
        let index = zip_name_locate(archive, member, 0)
        guard index >= 0 else { throw .kerasArchiveMemberMissing(path: path, member: member) }
        var stat = zip_stat_t()
        zip_stat_init(&stat)
        guard zip_stat_index(archive, zip_uint64_t(index), 0, &stat) == 0,
              stat.valid & Self.neededStat == Self.neededStat else {
            throw .kerasArchiveUnreadable(path: path, detail: "the zip directory entry of \(member) cannot be read (\(message(of: archive)))")
        }
        // Deflate cannot expand more than about 1032:1; stored members are their own size.
        let stored = stat.comp_method == UInt16(ZIP_CM_STORE)
        let compressed = stat.comp_size
        let maximum = stored ? compressed : compressed.multipliedReportingOverflow(by: 1032).partialValue
        guard compressed <= UInt64(fileSize), stat.size <= maximum, stat.size <= UInt64(min(limit, Int.max / 2)) else {
            throw .kerasArchiveUnreadable(path: path, detail: "the zip directory declares \(member) as \(stat.size) bytes "
                + "(\(compressed) compressed) in a file of \(fileSize) bytes")
        }
        let size = Int(stat.size)
        guard let file = zip_fopen_index(archive, zip_uint64_t(index), 0) else {
            throw .kerasArchiveUnreadable(path: path, detail: "\(member) cannot be opened (\(message(of: archive)))")
        }
        defer { zip_fclose(file) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1), alignment: 16)
        var done = 0
        while done < size {
            let n = zip_fread(file, buffer.baseAddress! + done, zip_uint64_t(min(size - done, 1 << 24)))
            if n <= 0 {
                let detail = n < 0 ? String(cString: zip_error_strerror(zip_file_get_error(file))) : "it ends early"
                buffer.deallocate()
                throw .kerasArchiveUnreadable(path: path, detail: "reading \(member) failed: \(detail)")
            }
            done += Int(n)
        }
        // Reading past the end makes libzip compare the CRC-32 of the whole member.
        var extra: UInt8 = 0
        let tail = zip_fread(file, &extra, 1)
        guard tail == 0 else {
            let detail = tail < 0 ? String(cString: zip_error_strerror(zip_file_get_error(file))) : "it is longer than declared"
            buffer.deallocate()
            throw .kerasArchiveUnreadable(path: path, detail: "reading \(member) failed: \(detail)")
        }
        return UnsafeMutableRawBufferPointer(rebasing: buffer[0..<size])
    }
}
