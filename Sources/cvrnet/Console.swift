#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes to the standard streams with plain `write(2)`, one call per message, so lines from
/// several threads never interleave and nothing waits in a buffer when the process is killed.
enum Console {
    /// Results.
    static func out(_ text: String) {
        _ = writeAll(STDOUT_FILENO, text)
    }

    /// One diagnostic line on stderr, prefixed with `cvrnet: `.
    static func error(_ message: String) {
        _ = writeAll(STDERR_FILENO, "cvrnet: " + singleLine(message) + "\n")
    }

    /// Raw text on stderr (progress redraws).
    static func rawError(_ text: String) {
        _ = writeAll(STDERR_FILENO, text)
    }

    /// Whether stderr is a terminal (progress is then redrawn in place).
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    /// Collapses line breaks so that every diagnostic is exactly one line.
    static func singleLine(_ text: String) -> String {
        guard text.contains(where: { $0.isNewline }) else { return text }
        return text.split(whereSeparator: { $0.isNewline }).joined(separator: " ")
    }

    /// Writes every byte of `text` to `fd`: one `write` call unless the kernel takes less.
    /// Returns false on error (the errno is left as set).
    @discardableResult
    static func writeAll(_ fd: Int32, _ text: String) -> Bool {
        var text = text
        return text.withUTF8 { buffer -> Bool in
            guard var base = buffer.baseAddress else { return true }
            var left = buffer.count
            while left > 0 {
                let n = write(fd, base, left)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                left -= n
                base += n
            }
            return true
        }
    }
}
