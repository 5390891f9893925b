import Foundation
import Testing
import TestSupport

/// Weights files that crash libhdf5 itself are refused by the CLI (which reads a new weights file
/// in a child process first) with one line and exit status 2, instead of taking cvrnet down.
@Suite("cvrnet refuses weights files that crash libhdf5")
struct WeightsSafetyCheckTests {
    static let crashers = ["h5hg-read-segv.h5", "h5a-close-segv.h5"]

    static func path(_ name: String) -> String {
        RepositoryPaths.root.appendingPathComponent("tools/fuzz/regressions/weights-libhdf5/\(name)").path
    }

    @Test("classify and inspect exit 2 with one line naming the file", arguments: crashers)
    func refused(_ name: String) throws {
        let weights = Self.path(name)
        #expect(FileManager.default.fileExists(atPath: weights))
        let image = RepositoryPaths.sampleImages.appendingPathComponent("png-gray8-224x224.png").path
        for arguments in [["classify", "--weights", weights, image], ["inspect", weights]] {
            let result = try CLI.run(arguments)
            #expect(result.status == 2, "\(arguments[0]): \(result.summary)")
            #expect(result.stderr.contains("the HDF5 library crashed reading it"), "\(arguments[0]): \(result.summary)")
            #expect(result.stderr.contains(name))
            #expect(!result.stderr.contains("Program crashed"), "\(arguments[0]): \(result.summary)")
        }
    }

    /// A file that passed the check is remembered only for the cvrnet build that checked it: the
    /// cache key begins with the executable's inode, size and modification time, so after a new
    /// build the file is checked again (the new build may read more of it).
    @Test("the check is remembered per file and per cvrnet build")
    func rememberedPerBuild() throws {
        let cache = try Files.temporaryDirectory("cvrnet-cache")
        defer { Files.cleanUp(cache) }
        let weights = RepositoryPaths.root.appendingPathComponent("tools/fuzz/corpus/weights/plain.h5").path
        let environment = ["XDG_CACHE_HOME": cache.path]
        let cacheFile = cache.appendingPathComponent("cvrnet/checked-weights")
        func lines() throws -> [Substring] {
            try String(contentsOf: cacheFile, encoding: .utf8).split(separator: "\n")
        }
        _ = try CLI.run(["inspect", weights], environment: environment)
        let first = try lines()
        #expect(first.count == 1, "one checked file, one line: \(first)")
        var exe = stat()
        #expect(stat(try CLI.requireExecutable().resolvingSymlinksInPath().path, &exe) == 0)
        let build = "\(exe.st_ino) \(exe.st_size) \(exe.st_mtim.tv_sec).\(exe.st_mtim.tv_nsec) "
        #expect(first.first?.hasPrefix(build) == true, "key \(first) should start with the executable's '\(build)'")
        #expect(first.first?.hasSuffix(" " + URL(fileURLWithPath: weights).standardizedFileURL.path) == true)

        // The same build again: remembered, nothing appended.
        _ = try CLI.run(["inspect", weights], environment: environment)
        #expect(try lines().count == 1)

        // Only an older build's line for the same file: checked again, a line appended.
        let older = "1 2 3.4 " + first[0].dropFirst(build.count)
        try (older + "\n").write(to: cacheFile, atomically: true, encoding: .utf8)
        _ = try CLI.run(["inspect", weights], environment: environment)
        #expect(try lines() == [Substring(older), first[0]])
    }
}
