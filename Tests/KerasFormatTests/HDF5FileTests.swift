import Foundation
import KerasFormat
import Testing

/// The general HDF5 reader, on `plain.h5` (no Keras attributes; every string encoding;
/// float16 / float64 / int / string datasets).
@Suite("HDF5File")
struct HDF5FileTests {
    let file: HDF5File

    init() throws {
        file = try HDF5File(path: FormatFixtures.path("plain.h5"))
    }

    @Test("lists groups and tells objects apart")
    func structure() throws {
        #expect(try file.childNames() == ["dangling", "data"])
        #expect(try file.childNames(ofGroup: "/data") == [
            "big_endian", "chunked", "doubles", "empty", "half_specials", "ints", "matrix", "nested", "scalar", "text",
        ])
        #expect(file.exists("/"))
        #expect(file.exists("/data/matrix"))
        #expect(file.exists("data/matrix"))  // leading slash optional
        #expect(file.exists("/data/nested/deeper"))
        #expect(!file.exists("/data/nested/missing"))
        #expect(!file.exists("/missing/deeper/still"))  // missing intermediate group
        #expect(!file.exists("/dangling"))  // soft link to nowhere
        #expect(file.isGroup("/data"))
        #expect(!file.isGroup("/data/matrix"))
        #expect(file.isDataset("/data/matrix"))
        #expect(!file.isDataset("/data"))
        #expect(!file.isDataset("/nothing"))
        #expect(formatError { try file.childNames(ofGroup: "/data/matrix") }
            == .wrongObjectKind(path: file.path, object: "/data/matrix", expected: "group"))
    }

    @Test("reads attribute names")
    func attributeNames() throws {
        let names = try file.attributeNames()
        #expect(names.contains("vlen_scalar"))
        #expect(names.contains("int_attr"))
        #expect(names == names.sorted())
        #expect(try file.attributeNames(at: "/data") == ["on_a_group"])
        #expect(try file.attributeNames(at: "/data/matrix") == ["on_a_dataset"])
        #expect(formatError { try file.attributeNames(at: "/nope") } == .objectNotFound(path: file.path, object: "/nope"))
    }

    @Test("reads fixed-length strings: null-padded, null-terminated, space-padded")
    func fixedLengthStrings() {
        #expect(file.stringAttribute("fixed_nullpad") == "null padded")
        #expect(file.stringAttribute("fixed_nullterm") == "null terminated")
        #expect(file.stringAttribute("fixed_spacepad") == "space padded")
        #expect(file.stringArrayAttribute("fixed_array") == ["a", "bb", "ccc"])
        #expect(file.stringArrayAttribute("fixed_array_spacepad") == ["a", "bb", "ccc"])
        #expect(file.stringAttribute("fixed_utf8") == "ñandú")
        #expect(file.stringAttribute("on_a_dataset", at: "/data/matrix") == "dataset attribute")
    }

    @Test("reads variable-length strings, scalar and arrays, UTF-8")
    func variableLengthStrings() {
        #expect(file.stringAttribute("vlen_scalar") == "variable length")
        #expect(file.stringArrayAttribute("vlen_scalar") == ["variable length"])
        #expect(file.stringArrayAttribute("vlen_array") == ["x", "yy", "zzz"])
        #expect(file.stringAttribute("vlen_utf8") == "héllo wörld ✓")
        #expect(file.stringAttribute("vlen_one_element") == "alone")
        #expect(file.stringAttribute("on_a_group", at: "/data") == "group attribute")
    }

    @Test("answers nil or [] for what is not a string attribute")
    func nonStringAttributes() {
        #expect(file.stringAttribute("int_attr") == nil)
        #expect(file.stringArrayAttribute("int_attr") == nil)
        #expect(file.stringAttribute("missing") == nil)
        #expect(file.stringAttribute("vlen_scalar", at: "/no/such/object") == nil)
        #expect(file.stringAttribute("vlen_array") == nil)  // three elements, not one
        #expect(file.stringArrayAttribute("empty_float_array") == [])  // how Keras writes an empty list
    }

    @Test("reads float32 datasets of any rank and byte order, chunked and compressed too")
    func float32() throws {
        let expected = FormatFixtures.expectation("plain.h5")["matrix"] as? [String: Any]
        let matrix = try file.readFloatDataset("/data/matrix")
        #expect(matrix.shape == [2, 3])
        #expect(matrix.shape == (expected?["shape"] as? [Int]))
        #expect(matrix.values == ((expected?["values"] as? [Double]) ?? []).map { Float($0) })
        #expect(try file.datasetShape("/data/matrix") == [2, 3])

        let bigEndian = try file.readFloatDataset("/data/big_endian")
        #expect(bigEndian.shape == matrix.shape)
        #expect(bigEndian.values == matrix.values)

        let scalar = try file.readFloatDataset("/data/scalar")
        #expect(scalar.shape == [])
        #expect(scalar.values == [2.5])

        let empty = try file.readFloatDataset("/data/empty")
        #expect(empty.shape == [0, 3])
        #expect(empty.values.isEmpty)

        let chunked = try file.readFloatDataset("/data/chunked")
        #expect(chunked.shape == [1000])
        #expect(chunked.values == (0..<1000).map { Float($0) })
    }

    @Test("converts float16, including subnormals, infinities and NaN")
    func float16() throws {
        let half = try file.readFloatDataset("/data/half_specials")
        let expected = FormatFixtures.expectation("plain.h5")["half_specials"] as? [Any] ?? []
        #expect(half.shape == [expected.count])
        #expect(half.values.count == 12)
        for (value, want) in zip(half.values, expected) {
            switch want {
            case let number as Double: #expect(value == Float(number), "float16 \(number) read as \(value)")
            case "inf" as String: #expect(value == .infinity)
            case "-inf" as String: #expect(value == -.infinity)
            default: #expect(value.isNaN)
            }
        }
        #expect(half.values[1].sign == .minus)  // -0 stays -0
        #expect(half.values[6] == 5.960464477539063e-08)  // smallest subnormal
        #expect(half.values[9] == .infinity)
        #expect(half.values[10] == -.infinity)
    }

    @Test("converts float64, rounding to nearest and overflowing to infinity")
    func float64() throws {
        let doubles = try file.readFloatDataset("/data/doubles")
        let expected = FormatFixtures.expectation("plain.h5")["doubles"] as? [Any] ?? []
        #expect(doubles.values.count == expected.count)
        for (value, want) in zip(doubles.values, expected) {
            switch want {
            case let number as Double: #expect(value == Float(number))
            case let text as String: #expect(value == (text == "inf" ? Float.infinity : -Float.infinity))
            default: Issue.record("unexpected entry \(want)")
            }
        }
        #expect(doubles.values[0] == Float(0.1))
    }

    @Test("reads into caller memory and checks the element count")
    func readInto() throws {
        var buffer = [Float](repeating: -1, count: 6)
        let shape = try buffer.withUnsafeMutableBufferPointer { pointer in
            try file.readFloatDataset("/data/matrix", into: pointer)
        }
        #expect(shape == [2, 3])
        #expect(buffer == [0, 0.25, 0.5, 0.75, 1, 1.25])

        var small = [Float](repeating: 0, count: 5)
        let error = small.withUnsafeMutableBufferPointer { pointer in
            formatError { try file.readFloatDataset("/data/matrix", into: pointer) }
        }
        #expect(error == .bufferSizeMismatch(path: file.path, dataset: "/data/matrix", expected: 6, actual: 5))
        #expect(error?.description.contains("has 6 elements but the destination buffer has room for 5") == true)
    }

    @Test("refuses integer and string datasets, groups and missing paths")
    func unsupported() {
        let ints = formatError { try file.readFloatDataset("/data/ints") }
        #expect(ints == .unsupportedDatatype(path: file.path, dataset: "/data/ints", datatype: "32-bit integer"))
        #expect(ints?.description.contains("plain.h5") == true)
        #expect(ints?.description.contains("only float16, float32 and float64") == true)
        let text = formatError { try file.readFloatDataset("/data/text") }
        #expect(text == .unsupportedDatatype(path: file.path, dataset: "/data/text", datatype: "string"))
        #expect(formatError { try file.readFloatDataset("/data") }
            == .wrongObjectKind(path: file.path, object: "/data", expected: "dataset"))
        let missing = formatError { try file.readFloatDataset("/data/nothing") }
        #expect(missing == .objectNotFound(path: file.path, object: "/data/nothing"))
        #expect(missing?.description == "HDF5 file '\(file.path)' has no object at '/data/nothing'.")
        #expect(formatError { try file.datasetShape("/dangling") } == .objectNotFound(path: file.path, object: "/dangling"))
    }

    @Test("knows the file size and the libhdf5 version")
    func metadata() throws {
        let size = try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int
        #expect(file.fileSize == size)
        #expect(HDF5File.libraryVersion.hasPrefix("1."))
    }
}
