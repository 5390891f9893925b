import CHDF5
import Synchronization

/// Process-wide access to libhdf5.
///
/// Debian's libhdf5 is the serial build, which keeps global state and is not safe to call
/// from more than one thread at a time. Every call into libhdf5 made by this module goes
/// through `HDF5Library.locked`, which holds one process-wide lock; code inside the closure
/// must not call `locked` again (the lock is not recursive).
enum HDF5Library {
    /// The lock; its value records whether the library has been initialised.
    private static let state = Mutex<Bool>(false)

    /// Runs `body` while holding the process-wide libhdf5 lock.
    ///
    /// On first use it initialises libhdf5 and turns off its automatic printing of error
    /// stacks to stderr: every failure is reported to Swift as a return code instead.
    static func locked<R: Sendable, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        try state.withLock { (initialised: inout Bool) throws(E) -> R in
            if !initialised {
                _ = H5open()
                initialised = true
            }
            // Cheap, and guards against anything else in the process re-enabling it.
            cvr_H5_silence_errors()
            return try body()
        }
    }

    /// The description of the innermost entry of libhdf5's current error stack, e.g.
    /// `truncated file: eof = 1000, sblock->base_addr = 0, stored_eof = 27208`.
    ///
    /// Call it inside `locked`, right after the failing call (the next API call clears the stack).
    static func innermostErrorDescription() -> String {
        var buffer = [CChar](repeating: 0, count: 512)
        let text = buffer.withUnsafeMutableBufferPointer { raw -> String in
            guard let base = raw.baseAddress else { return "" }
            cvr_H5_innermost_error(base, raw.count)
            return String(cString: base)
        }
        return text.isEmpty ? "libhdf5 reported no details" : text
    }

    /// The version of the linked libhdf5, e.g. "1.10.8".
    static var version: String {
        locked { () -> String in
            var major: UInt32 = 0, minor: UInt32 = 0, release: UInt32 = 0
            cvr_H5_library_version(&major, &minor, &release)
            return "\(major).\(minor).\(release)"
        }
    }
}
