import Foundation
import Testing
import TestSupport

/// DICOM files that crash GDCM itself are refused by the CLI (which decodes every DICOM file in
/// a child process first) with one line, like any other unreadable image; the damaged files the
/// fuzzer and crafted cases found are refused by the shim's checks before GDCM sees them.
@Suite("cvrnet refuses DICOM files that crash GDCM, one line each, and keeps the other results")
struct DICOMSafetyCheckTests {
    static let regressions = RepositoryPaths.root.appendingPathComponent("tools/fuzz/regressions/dicom")
    static let gdcmCrashers = RepositoryPaths.root.appendingPathComponent("tools/fuzz/regressions/dicom-gdcm")
    /// Whether this is the AddressSanitizer build (tools/sanitize.sh sets ASAN_OPTIONS).
    static let sanitized = ProcessInfo.processInfo.environment["ASAN_OPTIONS"] != nil

    static let good = RepositoryPaths.fixtures.appendingPathComponent("dicom/mono2-u12-window.dcm").path

    static func files(in folder: URL) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".dcm") }.sorted().map { folder.appendingPathComponent($0).path }
    }

    /// The stderr lines that name `path`.
    static func lines(naming path: String, in result: CLI.Result) -> [String] {
        result.stderrLines.filter { $0.contains(path) }
    }

    @Test("the regression folders hold inputs")
    func inputsPresent() {
        #expect(Self.files(in: Self.regressions).count >= 4)
        #expect(Self.files(in: Self.gdcmCrashers).count >= 1)
    }

    @Test("classify: each bad file gets one line and status 1, the good file its result, nothing crashes")
    func classify() throws {
        let weights = try Files.referenceWeights()
        let bad = Self.files(in: Self.regressions) + Self.files(in: Self.gdcmCrashers)
        let result = try CLI.run(["classify", "--json", "--weights", weights, Self.good] + bad)
        #expect(result.status == 1, "\(result.summary)")
        #expect(!result.stderr.contains("Program crashed") && !result.stderr.contains("Assertion"), "\(result.summary)")
        #expect(result.stdoutLines.first?.contains("\"probabilities\"") == true, "\(result.summary)")
        for path in bad {
            #expect(Self.lines(naming: path, in: result).count == 1, "\(path): \(result.summary)")
        }
        for path in Self.files(in: Self.gdcmCrashers) {
            let line = Self.lines(naming: path, in: result).first ?? ""
            // A plain build's child dies of a signal (GDCM's abort); under AddressSanitizer
            // the sanitizer catches the corruption first and the child exits with its status.
            let crashed = line.contains("DICOM decoder crashed (GDCM, signal")
                || (Self.sanitized && line.contains("DICOM decoder crashed (GDCM, exit status"))
            #expect(crashed, "\(line)")
        }
        for path in Self.files(in: Self.regressions) {
            #expect(!(Self.lines(naming: path, in: result).first ?? "").contains("crashed"), "\(result.summary)")
        }
    }

    @Test("score goes on after a GDCM crash and keeps every other row")
    func scoreContinues() throws {
        let weights = try Files.referenceWeights()
        let crasher = try #require(Self.files(in: Self.gdcmCrashers).first)
        let root = try Files.temporaryDirectory("cvrnet-dicom-guard")
        defer { Files.cleanUp(root) }
        let fm = FileManager.default
        try fm.copyItem(atPath: Self.good, toPath: root.appendingPathComponent("a.dcm").path)
        try fm.copyItem(atPath: crasher, toPath: root.appendingPathComponent("b.dcm").path)
        try fm.copyItem(atPath: Self.good, toPath: root.appendingPathComponent("c.dcm").path)
        let png = RepositoryPaths.sampleImages.appendingPathComponent("png-gray8-224x224.png").path
        try fm.copyItem(atPath: png, toPath: root.appendingPathComponent("d.png").path)
        let result = try CLI.run(["score", "--weights", weights, "--format", "jsonl", root.path])
        #expect(result.status == 1, "\(result.summary)")
        let lines = result.stdoutLines
        try #require(lines.count == 4, "\(result.summary)")
        for (line, file) in zip(lines, ["a.dcm", "b.dcm", "c.dcm", "d.png"]) {
            #expect(line.contains("\"file\": \"\(file)\""), "\(line)")
            #expect(line.contains("\"probabilities\"") == (file != "b.dcm"), "\(line)")
        }
        #expect(lines[1].contains("DICOM decoder crashed"), "\(lines[1])")
        #expect(result.stderr.components(separatedBy: "DICOM decoder crashed").count == 2, "\(result.summary)")
        #expect(!result.stderr.contains("Program crashed"), "\(result.summary)")
    }

    @Test("explain refuses a GDCM crasher with one line and status 1")
    func explain() throws {
        let weights = try Files.referenceWeights()
        let crasher = try #require(Self.files(in: Self.gdcmCrashers).first)
        let output = try Files.temporaryDirectory("cvrnet-dicom-guard-explain")
        defer { Files.cleanUp(output) }
        let result = try CLI.run(["explain", "--weights", weights, "--output", output.path, crasher])
        #expect(result.status == 1, "\(result.summary)")
        #expect(Self.lines(naming: crasher, in: result).count == 1, "\(result.summary)")
        #expect(result.stderr.contains("DICOM decoder crashed"), "\(result.summary)")
    }

    @Test("check-dicom: 0 and ok for a good file, 10 and the error for a refused one, killed by a signal on a GDCM crasher")
    func checkCommand() throws {
        let ok = try CLI.run(["check-dicom", Self.good])
        #expect(ok.status == 0 && ok.stdout == "ok\n", "\(ok.summary)")
        let refused = try #require(Self.files(in: Self.regressions).first)
        let bad = try CLI.run(["check-dicom", refused])
        #expect(bad.status == 10, "\(bad.summary)")
        #expect(bad.stdoutLines.count == 1 && bad.stdout.contains(refused), "\(bad.summary)")
        let crasher = try #require(Self.files(in: Self.gdcmCrashers).first)
        let crashed = try CLI.run(["check-dicom", crasher], environment: ["SWIFT_BACKTRACE": "enable=no"])
        #expect(crashed.status != 0 && crashed.status != 10, "\(crashed.summary)")
    }
}
