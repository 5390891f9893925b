#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An output file (score's CSV/JSON lines) that cannot be opened or written: not an image's
/// failure, and reported with `ExitStatus.ioError` (see `ErrorMessages.output`).
struct OutputFileError: Error, CustomStringConvertible {
    enum Operation { case open, write }

    let operation: Operation
    /// "output file 'x.csv'" or "standard output".
    let name: String
    /// The `errno` the system call left.
    let code: Int32

    var description: String {
        let reason = String(cString: strerror(code))
        switch operation {
        case .open: return "cannot open \(name): \(reason)"
        case .write: return "cannot write \(name): \(reason)"
        }
    }
}
