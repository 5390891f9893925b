import Foundation
import Testing
import TestSupport

/// Runs the built `cvrnet` executable.
///
/// Finding it: SwiftPM puts every product of a build in one directory
/// (`<scratch path>/<triple>/debug/`): the test bundle `cvrnetPackageTests.xctest` and the
/// `cvrnet` executable sit side by side. On Linux the bundle is itself the running executable,
/// so the directory of `/proc/self/exe` (`Bundle.main.executableURL`, symlinks resolved) is
/// that directory whatever the scratch path (`.build`, `.build-cli`, ...) or configuration.
/// `CommandLine.arguments[0]` is a second guess (it is the bundle path on Linux too). Set
/// `CVRNET_EXECUTABLE` to test another binary (e.g. a release build).
enum CLI {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
        /// stderr split into lines (without the empty last one).
        var stderrLines: [String] { stderr.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
        var stdoutLines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
        var summary: String { "exit \(status)\n--- stdout\n\(stdout.prefix(4000))\n--- stderr\n\(stderr.prefix(4000))" }
    }

    static let executable: URL? = {
        if let override = ProcessInfo.processInfo.environment["CVRNET_EXECUTABLE"], !override.isEmpty {
            return URL(fileURLWithPath: override)
        }
        return builtExecutable(named: "cvrnet")
    }()

    /// An executable product of this build (`cvrnet`, `cvrnet-benchmark`), found as `executable` is.
    static func builtExecutable(named name: String) -> URL? {
        let fm = FileManager.default
        var directories: [URL] = []
        if let url = Bundle.main.executableURL { directories.append(url.resolvingSymlinksInPath().deletingLastPathComponent()) }
        if let first = CommandLine.arguments.first {
            directories.append(URL(fileURLWithPath: first).resolvingSymlinksInPath().deletingLastPathComponent())
        }
        for directory in directories {
            // The bundle may also be a directory (cvrnetPackageTests.xctest/Contents/MacOS/...).
            var candidate = directory
            for _ in 0..<4 {
                let exe = candidate.appendingPathComponent(name)
                var isDirectory: ObjCBool = false
                if fm.fileExists(atPath: exe.path, isDirectory: &isDirectory), !isDirectory.boolValue,
                   fm.isExecutableFile(atPath: exe.path) {
                    return exe
                }
                candidate.deleteLastPathComponent()
            }
        }
        return nil
    }

    /// The executable, or a test failure explaining how to build it.
    static func requireExecutable() throws -> URL {
        try #require(executable, "cvrnet executable not found next to the test bundle (\(Bundle.main.executableURL?.path ?? "?")): build it with swift build, or set CVRNET_EXECUTABLE")
    }

    /// Runs `cvrnet arguments...` in `directory` (default: the repository root) with
    /// `CVRNET_WEIGHTS` removed from the environment unless given in `environment`.
    /// Output goes through files, so nothing can block on a full pipe.
    /// `executable`: another product of the build to run instead (`builtExecutable(named:)`).
    static func run(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:],
                    executable: URL? = nil) throws -> Result {
        let process = try start(arguments, in: directory, environment: environment, executable: executable)
        process.process.waitUntilExit()
        return process.result()
    }

    /// A started `cvrnet`, for tests that interrupt it.
    final class Running {
        let process: Process
        let stdoutURL: URL
        let stderrURL: URL
        let scratch: URL

        init(process: Process, stdoutURL: URL, stderrURL: URL, scratch: URL) {
            self.process = process
            self.stdoutURL = stdoutURL
            self.stderrURL = stderrURL
            self.scratch = scratch
        }

        func result() -> Result {
            let out = (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? ""
            let err = (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(at: scratch)
            return Result(status: process.terminationStatus, stdout: out, stderr: err)
        }
    }

    static func start(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:],
                      executable: URL? = nil) throws -> Running {
        let exe = try executable ?? requireExecutable()
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("cvrnet-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let stdoutURL = scratch.appendingPathComponent("stdout")
        let stderrURL = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        let process = Process()
        process.executableURL = exe
        process.arguments = arguments
        process.currentDirectoryURL = directory ?? RepositoryPaths.root
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "CVRNET_WEIGHTS")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        try process.run()
        return Running(process: process, stdoutURL: stdoutURL, stderrURL: stderrURL, scratch: scratch)
    }
}

/// Generated and committed files the tests use.
enum Files {
    static let defaultWeightsName = "reference-2class-keras231-weights.hdf5"

    /// A reference weights file; a missing one fails the test with a message naming tools/prepare.sh.
    static func referenceWeights(_ name: String = defaultWeightsName) throws -> String {
        let url = RepositoryPaths.weights.appendingPathComponent(name)
        try #require(FileManager.default.fileExists(atPath: url.path), Comment(rawValue: RepositoryPaths.missingGeneratedFile(url)))
        return url.path
    }

    static func sampleImage(_ name: String) -> String {
        RepositoryPaths.sampleImages.appendingPathComponent(name).path
    }

    /// The sample images (PNG and JPEG files of Tests/Fixtures/sample-images), sorted.
    static func sampleImageNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: RepositoryPaths.sampleImages.path)
            .filter { ["png", "jpg", "jpeg"].contains(($0 as NSString).pathExtension.lowercased()) }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// A fresh temporary directory, removed by the caller with `cleanUp`.
    static func temporaryDirectory(_ label: String = "cvrnet-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func cleanUp(_ url: URL) {
        try? FileManager.default.removeItem(at: url)
    }

    /// A file that is not an image, with an image name.
    static func writeCorruptImage(at url: URL) throws {
        try Data("this is not a PNG file\n".utf8).write(to: url)
    }
}
