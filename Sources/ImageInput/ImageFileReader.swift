#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a whole file into memory with plain POSIX calls, so every failure maps to a precise
/// ``ImageInputError`` (no such file, permission denied, a directory, ...).
enum ImageFileReader {
    /// The file's bytes; an empty array for an empty file (the caller decides what that means).
    static func read(path: String) throws(ImageInputError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 { throw error(errno, path: path) }
        defer { close(descriptor) }

        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw error(errno, path: path) }
        if (status.st_mode & S_IFMT) == S_IFDIR { throw .isDirectory(path: path) }

        var bytes: [UInt8] = []
        if (status.st_mode & S_IFMT) == S_IFREG { bytes.reserveCapacity(Int(status.st_size)) }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { buffer in
                systemRead(descriptor, buffer.baseAddress, buffer.count)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw error(errno, path: path)
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }

    private static func error(_ code: Int32, path: String) -> ImageInputError {
        switch code {
        case ENOENT, ENOTDIR: return .fileNotFound(path: path)
        case EACCES, EPERM: return .permissionDenied(path: path)
        case EISDIR: return .isDirectory(path: path)
        default:
            let reason = strerror(code).map { String(cString: $0) } ?? "error \(code)"
            return .readFailed(path: path, reason: reason.prefix(1).lowercased() + reason.dropFirst())
        }
    }
}

/// POSIX `read` (named apart from ``ImageFileReader/read(path:)``).
private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.read(descriptor, buffer, count)
    #elseif canImport(Musl)
    return Musl.read(descriptor, buffer, count)
    #else
    return Darwin.read(descriptor, buffer, count)
    #endif
}
