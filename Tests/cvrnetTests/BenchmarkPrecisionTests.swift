import Foundation
import Testing
import TestSupport

/// `cvrnet-benchmark --precision`: tools/benchmark.py tells a CPU without bf16 kernels (engine
/// "cvrnet-bf16" unavailable, like OpenVINO bf16 there) from a failed run by exit status 3, and
/// reads the precision and bf16 kernel that ran from the JSON report. Holds on every CPU: which
/// outcome is expected follows `cvrnet --version`'s bf16 line, the same `BFloat16Kernel.available`.
@Suite("cvrnet-benchmark --precision")
struct BenchmarkPrecisionTests {
    /// The documented "precision not available on this CPU" status (cvrnet-benchmark --help).
    static let precisionUnavailable: Int32 = 3
    static let quick = ["--no-sgemm", "--runs", "1", "--warmup", "0", "--batch", "1", "--json"]

    static func benchmark() throws -> URL {
        try #require(CLI.builtExecutable(named: "cvrnet-benchmark"),
                     "cvrnet-benchmark not found next to the test bundle: build every product (swift build --build-tests)")
    }

    /// Whether this CPU runs bf16, as `cvrnet --version` says.
    static func cpuRunsBFloat16() throws -> Bool {
        let version = try CLI.run(["--version"])
        let line = try #require(version.stdoutLines.first { $0.hasPrefix("bf16 (--precision bf16): ") }, "\(version.summary)")
        return !line.contains("not available")
    }

    static func report(_ result: CLI.Result) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        return try #require(object as? [String: Any], "\(result.summary)")
    }

    @Test("bf16 runs on the CPU's bf16 kernel, or exits with status 3 and one line where the CPU has none")
    func bfloat16() throws {
        let weights = try Files.referenceWeights()
        let result = try CLI.run(["--weights", weights, "--precision", "bf16"] + Self.quick, executable: try Self.benchmark())
        if try Self.cpuRunsBFloat16() {
            #expect(result.status == 0, "\(result.summary)")
            let r = try Self.report(result)
            #expect(r["precision"] as? String == "bf16")
            let kernel = r["bf16Kernel"] as? String
            #expect(kernel == "AMX-BF16" || kernel == "AVX512_BF16", "\(result.summary)")
        } else {
            #expect(result.status == Self.precisionUnavailable, "\(result.summary)")
            #expect(result.stdout.isEmpty, "\(result.summary)")
            #expect(result.stderrLines.count == 1, "\(result.summary)")
            #expect(result.stderr.contains("--precision: bf16 precision needs a CPU with AMX-BF16 or AVX512_BF16"), "\(result.summary)")
        }
    }

    @Test("fp32 is the default: precision fp32, bf16Kernel null")
    func float32() throws {
        let weights = try Files.referenceWeights()
        let result = try CLI.run(["--weights", weights] + Self.quick, executable: try Self.benchmark())
        #expect(result.status == 0, "\(result.summary)")
        let r = try Self.report(result)
        #expect(r["precision"] as? String == "fp32")
        #expect(r.keys.contains("bf16Kernel") && r["bf16Kernel"] is NSNull, "\(result.summary)")
    }

    @Test("an unknown precision is a usage error (status 2), not status 3")
    func unknownPrecision() throws {
        let result = try CLI.run(["--precision", "fp16"], executable: try Self.benchmark())
        #expect(result.status == 2, "\(result.summary)")
        #expect(result.stderr.contains("--precision expects fp32 or bf16, not 'fp16'"), "\(result.summary)")
    }
}
