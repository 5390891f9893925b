import Foundation
import Testing
import TestSupport

/// `--precision`: fp32 by default; bf16 runs where the CPU has AMX-BF16 or AVX512_BF16, and
/// elsewhere stops with one line and the usage status, before reading any image.
@Suite("--precision")
struct PrecisionOptionTests {
    static var cpuHasBFloat16: Bool {
        let flags = VersionTests.cpuFlags
        return flags.contains("avx512_bf16") || (flags.contains("amx_bf16") && flags.contains("amx_tile"))
    }

    static func weights() throws -> String {
        let url = RepositoryPaths.weights.appendingPathComponent(RepositoryPaths.referenceWeightsFiles[0])
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw GeneratedFileMissing(message: RepositoryPaths.missingGeneratedFile(url))
        }
        return url.path
    }

    @Test("bf16: one result line where the CPU has bf16, else one error line and status 64")
    func bfloat16() throws {
        let image = RepositoryPaths.sampleImages.appendingPathComponent("png-rgb8-333x287.png").path
        let result = try CLI.run(["classify", "--weights", try Self.weights(), "--precision", "bf16", image])
        if Self.cpuHasBFloat16 {
            #expect(result.status == 0, "\(result.summary)")
            #expect(result.stdoutLines.count == 1, "\(result.summary)")
        } else {
            #expect(result.status == 64, "\(result.summary)")
            #expect(result.stdout.isEmpty, "\(result.summary)")
            #expect(result.stderrLines.count == 1, "\(result.summary)")
            let line = try #require(result.stderrLines.first)
            #expect(line.hasPrefix("cvrnet: --precision: bf16 precision needs a CPU with AMX-BF16 or AVX512_BF16"), "\(line)")
            #expect(line.contains("use the default fp32"), "\(line)")
        }
    }

    @Test("fp32 is the default and can be named; other values are usage errors")
    func values() throws {
        let image = RepositoryPaths.sampleImages.appendingPathComponent("png-rgb8-333x287.png").path
        let weights = try Self.weights()
        let named = try CLI.run(["classify", "--weights", weights, "--precision", "fp32", image])
        let plain = try CLI.run(["classify", "--weights", weights, image])
        #expect(named.status == 0 && plain.status == 0, "\(named.summary)\n\(plain.summary)")
        #expect(named.stdout == plain.stdout)
        let bad = try CLI.run(["classify", "--weights", weights, "--precision", "fp16", image])
        #expect(bad.status == 64, "\(bad.summary)")
        #expect(bad.stderr.contains("fp16"), "\(bad.summary)")
    }
}
