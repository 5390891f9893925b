import ArgumentParser
import CVRNet
import Foundation
import KerasFormat

/// Opens a weights file in a child process before cvrnet opens it itself.
///
/// The same goes for Keras 3 files: a `.keras` zip is read by libzip and its weights member
/// by libhdf5 in memory, both in the child first.
///
/// libhdf5 (1.10, Debian 12) can be crashed or sent into an endless loop by a crafted HDF5 file
/// (found by fuzzing, see tools/fuzz/README.md), and a crash inside a C library cannot be caught
/// in-process. So the first time cvrnet meets a weights file it reads it completely in a child
/// (`cvrnet check-weights PATH`, hidden) with a time limit. A file the child survives, loaded or
/// refused with an ordinary error, is then opened in-process, where the same reads give the same
/// ordinary outcome. Files that passed are remembered by path, size, modification time and inode
/// in `$XDG_CACHE_HOME/cvrnet/checked-weights` (or `~/.cache/...`), so later runs pay nothing;
/// a file that changes is checked again, and so is every file after cvrnet itself changes (the
/// key names the executable's inode, size and modification time): a new build may read more of
/// a file than the build that checked it.
enum WeightsSafetyCheck {
    /// A reference-sized file loads in well under a second; this only stops endless loops.
    static let timeLimit: TimeInterval = 30

    /// Why the file cannot be opened safely, or nil when it can.
    static func problem(path: String) -> String? {
        guard let executable = WeightsOptions.executablePath() else { return nil }
        guard let key = cacheKey(path, checkedBy: executable) else { return nil }  // missing or unreadable: the loader says so
        if isRemembered(key) { return nil }
        switch ChildProcess.run(executable, ["check-weights", path], timeLimit: timeLimit) {
        case nil:
            return nil  // cannot spawn: fall back to loading directly
        case .timedOut:
            return "'\(path)' is damaged: the HDF5 library did not finish reading it within \(Int(timeLimit)) s (an endless loop on a corrupt or crafted file)"
        // The child exits 0 whenever it survives (errors are the in-process load's to report);
        // anything else is a crash: a signal, or a sanitizer's exit status in instrumented builds.
        case .signalled(let signal):
            return "'\(path)' is damaged: the HDF5 library crashed reading it (signal \(signal)); it is a corrupt or crafted HDF5 file"
        case .exited(let status) where status != 0:
            return "'\(path)' is damaged: the HDF5 library crashed reading it (exit status \(status)); it is a corrupt or crafted HDF5 file"
        case .exited:
            break
        }
        remember(key)
        return nil
    }

    private static func cacheKey(_ path: String, checkedBy executable: String) -> String? {
        var st = stat(), exe = stat()
        guard stat(path, &st) == 0, stat(executable, &exe) == 0 else { return nil }
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        return "\(exe.st_ino) \(exe.st_size) \(exe.st_mtim.tv_sec).\(exe.st_mtim.tv_nsec) "
            + "\(st.st_dev) \(st.st_ino) \(st.st_size) \(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec) \(absolute)"
    }

    private static var cacheFile: URL {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_CACHE_HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
        return base.appendingPathComponent("cvrnet/checked-weights")
    }

    private static func isRemembered(_ key: String) -> Bool {
        guard let text = try? String(contentsOf: cacheFile, encoding: .utf8) else { return false }
        return text.split(separator: "\n").contains { $0 == key }
    }

    /// Appends the key; failures (read-only home, full disk) only cost a check next time.
    private static func remember(_ key: String) {
        let url = cacheFile
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let fd = open(url.path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let line = Array((key + "\n").utf8)
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }
}

/// `cvrnet check-weights PATH` (hidden): reads the whole weights file the way the other commands
/// will (`inspect`'s diagnosis, every weight, the model load) and its Keras attributes by name,
/// so that a crash or hang happens here, in a child, rather than in them.
struct CheckWeightsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-weights", abstract: "Read a weights file completely (used internally).",
        shouldDisplay: false)

    @Argument var path: String

    func run() throws {
        // Keras attributes opened by name, as HDF5File's public readers open them: libhdf5 crashes
        // on some damaged attributes only then (h5a-close-segv.h5), while the Keras reader's
        // attribute iteration refuses the file before. A file that crashes libhdf5 either way is
        // refused.
        if let hdf5 = try? HDF5File(path: path) {
            for root in ["/", "/model_weights"] where root == "/" || hdf5.isGroup(root) {
                for name in ["keras_version", "backend", "cvrnet_reference_weights"] { _ = hdf5.stringAttribute(name, at: root) }
                let prefix = root == "/" ? "" : root
                for layer in hdf5.kerasStringArrayAttribute("layer_names", at: root) ?? [] where hdf5.isGroup(prefix + "/" + layer) {
                    _ = hdf5.kerasStringArrayAttribute("weight_names", at: prefix + "/" + layer)
                }
            }
        }
        _ = CVRNetModel.diagnose(weightsPath: path)
        if let file = try? KerasWeightsFile(path: path, keras3LayerTable: CVRNetModel.keras3LayerTable) {
            for layer in file.layerNames { _ = try? file.weights(ofLayer: layer) }
        }
        // Survived: say so with status 0 and nothing else (no exit-time leak checks in
        // sanitizer builds, whose reports would change the status).
        _exit(0)
    }
}
