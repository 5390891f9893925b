import Foundation

/// Writes float32 arrays in NumPy's `.npy` format, version 1.0, little-endian `<f4`, C order,
/// so `numpy.load(path)` returns exactly the tensor cvrnet fed to the network.
enum NpyWriter {
    /// The complete file contents for `values` with the given `shape`.
    static func encode(_ values: [Float], shape: [Int]) -> Data {
        precondition(shape.reduce(1, *) == values.count, "shape does not match the value count")
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
        // Magic (6) + version (2) + header length (2) + header, padded with spaces and ended
        // by a newline to a multiple of 64 bytes, as NumPy itself writes it.
        let preamble = 10
        let unpadded = preamble + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 0x01, 0x00])
        let length = UInt16(header.utf8.count)
        data.append(UInt8(length & 0xFF))
        data.append(UInt8(length >> 8))
        data.append(contentsOf: Array(header.utf8))
        data.reserveCapacity(data.count + values.count * 4)
        if UInt32(1).littleEndian == 1 {
            values.withUnsafeBytes { data.append(contentsOf: $0) }
        } else {
            for value in values {
                withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
            }
        }
        return data
    }

    /// Writes `values` to `path` (replacing any file there).
    static func write(_ values: [Float], shape: [Int], to path: String) throws {
        try encode(values, shape: shape).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
