import ArgumentParser
import CVRNet
import Foundation
import ImageInput

/// Decodes a DICOM file in a child process before cvrnet decodes it itself.
///
/// GDCM (3.0, Debian 12) asserts, i.e. calls `abort()`, on some damaged or crafted files, and a
/// crash inside a C++ library cannot be caught in-process: one bad file would end a `score` run.
/// The CDICOM shim refuses the damage it can see cheaply before calling GDCM (elements running
/// past the end, a broken file meta group, see `Sources/CDICOM/dicom_reader.cpp`); for the rest,
/// every DICOM file (recognised by its DICM signature; PNG and JPEG files are not affected) is
/// first decoded by `cvrnet check-dicom` (hidden) with the same options and a time limit. A file
/// the child survives, decoded or refused with an ordinary error, is then decoded in-process,
/// where the same code gives the same outcome. A crash or a hang becomes one line naming the
/// file, and the command treats it like any other unreadable image (status 1; `score` goes on).
///
/// The cost is one process start plus a second decode per DICOM file (measured in
/// README.md, "DICOM input"). Files that passed are remembered for the rest of the run (by
/// device, inode, size and modification time), so `evaluate` with several models checks each
/// file once. Library users of `KerasImageLoader` get no such guard.
enum DICOMSafetyCheck {
    /// A small file decodes in milliseconds and a large multi-frame JPEG 2000 file in seconds;
    /// this only stops endless loops.
    static let timeLimit: TimeInterval = 120

    /// Exit statuses of `check-dicom`: decoded, or refused with an ordinary error. Anything
    /// else (a signal, a sanitizer's status) is a crash.
    static let decodedStatus: Int32 = 0
    static let refusedStatus: Int32 = 10

    /// Why the file cannot be decoded safely, as one line naming it; nil when it can, when it
    /// is not a DICOM file, or when it cannot be read (the loader then says why).
    static func problem(path: String, options: ImageLoadOptions) -> String? {
        guard isDICOM(path: path), let key = fileKey(path) else { return nil }
        if Survivors.shared.contains(key) { return nil }
        guard let executable = WeightsOptions.executablePath() else { return nil }
        // `--option=value`: a window such as -600,1500 would otherwise be taken for an option.
        let arguments = ["check-dicom", "--max-pixels=\(options.maxPixels)",
                         "--dicom-window=\(options.dicomWindow.description)",
                         "--dicom-frame=\(options.dicomFrame)", "--", path]
        switch ChildProcess.run(executable, arguments, timeLimit: timeLimit) {
        case nil:
            return nil  // cannot spawn: decode directly, as before the guard
        case .timedOut:
            return "\(path): DICOM decoder did not finish within \(Int(timeLimit)) s (GDCM stuck on a damaged or crafted file)"
        case .signalled(let signal):
            return "\(path): DICOM decoder crashed (GDCM, signal \(signal)\(signalName(signal))); the file is damaged or crafted"
        case .exited(let status) where status != decodedStatus && status != refusedStatus:
            return "\(path): DICOM decoder crashed (GDCM, exit status \(status)); the file is damaged or crafted"
        case .exited:
            Survivors.shared.insert(key)
            return nil
        }
    }

    /// True when the file starts with a DICOM Part 10 preamble and "DICM" (132 bytes read).
    static func isDICOM(path: String) -> Bool {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var head = [UInt8](repeating: 0, count: 132)
        let count = head.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, 132, 0) }
        return count == 132 && ImageFormat.detect(head) == .dicom
    }

    private static func fileKey(_ path: String) -> String? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return "\(st.st_dev) \(st.st_ino) \(st.st_size) \(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)"
    }

    private static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGABRT: return " SIGABRT, an assertion"
        case SIGSEGV: return " SIGSEGV"
        case SIGBUS: return " SIGBUS"
        case SIGFPE: return " SIGFPE"
        case SIGILL: return " SIGILL"
        case SIGKILL: return " SIGKILL, possibly out of memory"
        default: return ""
        }
    }

    /// Files that passed in this process.
    private final class Survivors: @unchecked Sendable {
        static let shared = Survivors()
        private let lock = NSLock()
        private var keys = Set<String>()

        func contains(_ key: String) -> Bool {
            lock.lock()
            defer { lock.unlock() }
            return keys.contains(key)
        }

        func insert(_ key: String) {
            lock.lock()
            defer { lock.unlock() }
            keys.insert(key)
        }
    }
}

/// `cvrnet check-dicom [--max-pixels N] [--dicom-window W] [--dicom-frame N] PATH` (hidden):
/// decodes the file as the other commands will (`KerasImageLoader` with these options), so
/// that a crash or hang happens here, in a child, rather than in them. Prints "ok" or the
/// error line; exits 0 when decoded, 10 when refused with an ordinary error.
struct CheckDICOMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-dicom", abstract: "Decode a DICOM file (used internally).",
        shouldDisplay: false)

    @Option(name: .customLong("max-pixels")) var maxPixels: Int = ImageLoadOptions().maxPixels
    @Option(name: .customLong("dicom-window")) var dicomWindow: String = "file"
    @Option(name: .customLong("dicom-frame")) var dicomFrame: Int = 1
    @Argument var path: String

    func run() throws {
        var options = ImageLoadOptions(targetWidth: CVRNetModel.inputWidth, targetHeight: CVRNetModel.inputHeight,
                                       maxPixels: maxPixels)
        options.dicomWindow = DICOMWindow(argument: dicomWindow) ?? .file
        options.dicomFrame = dicomFrame
        let status: Int32
        do {
            _ = try KerasImageLoader(options: options).load(path: path)
            print("ok")
            status = DICOMSafetyCheck.decodedStatus
        } catch {
            print(error.description)
            status = DICOMSafetyCheck.refusedStatus
        }
        // Survived: no exit-time leak checks in sanitizer builds, whose reports would change
        // the status.
        fflush(nil)  // all streams: stdout itself is global mutable state to Swift 6
        _exit(status)
    }
}
