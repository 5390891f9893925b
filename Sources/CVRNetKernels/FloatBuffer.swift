import Foundation

/// A fixed-size, 64-byte aligned buffer of `Float`, zero-initialised.
///
/// Weights live in these buffers for the lifetime of a model (written once at load time,
/// read-only afterwards), and activations live in them inside a forward-pass workspace.
/// Aligned storage lets the SIMD loops and OpenBLAS use aligned loads.
public final class FloatBuffer: @unchecked Sendable {
    /// Number of floats.
    public let count: Int
    /// Start of the storage; valid for `count` floats while the buffer is alive.
    public let pointer: UnsafeMutablePointer<Float>

    /// Allocates `count` zeroed floats.
    public init(count: Int) {
        self.count = count
        var raw: UnsafeMutableRawPointer?
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        if posix_memalign(&raw, 64, bytes) != 0 || raw == nil {
            fatalError("cvrnet: out of memory allocating \(bytes) bytes")
        }
        memset(raw!, 0, bytes)
        pointer = raw!.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    /// Allocates a buffer holding a copy of `values`.
    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    /// The contents as a buffer pointer.
    public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }

    /// A copy of the contents as an array.
    public var array: [Float] { Array(buffer) }

    deinit { free(pointer) }
}
