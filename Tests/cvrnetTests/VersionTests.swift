import Foundation
import Testing
import TestSupport

/// `cvrnet --version` names the kernel path, the CPU's features and OpenBLAS's kernel choice, so
/// that a bug report says which arithmetic ran.
@Suite("cvrnet --version")
struct VersionTests {
    static var cpuFlags: Set<Substring> {
        let text = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
        return Set(line.split(whereSeparator: { $0 == " " || $0 == "\t" }))
    }

    static var cpuHasAVX512: Bool { cpuFlags.contains("avx512f") }
    static var cpuHasAVX2AndFMA: Bool { cpuFlags.contains("avx2") && cpuFlags.contains("fma") }

    @Test("the forced portable path is reported as such, with OpenBLAS's core")
    func portableForced() throws {
        let result = try CLI.run(["--version"], environment: ["CVRNET_PORTABLE_KERNELS": "1", "OPENBLAS_CORETYPE": "Haswell"])
        #expect(result.status == 0, "\(result.summary)")
        let lines = result.stdoutLines
        #expect(lines.first == "cvrnet 0.1.0")
        let kernels = try #require(lines.first { $0.hasPrefix("kernels: ") }, "\(result.summary)")
        #expect(kernels.contains("portable"))
        #expect(kernels.contains("CVRNET_PORTABLE_KERNELS=1") == (Self.cpuHasAVX512 || Self.cpuHasAVX2AndFMA), "\(kernels)")
        let openblas = try #require(lines.first { $0.hasPrefix("openblas: core ") }, "\(result.summary)")
        #expect(openblas.contains("core Haswell"), "OPENBLAS_CORETYPE is honoured and reported: \(openblas)")
        #expect(openblas.contains("OPENBLAS_CORETYPE=Haswell"))
        let cpu = try #require(lines.first { $0.hasPrefix("cpu: ") })
        #expect(cpu.contains(" avx512f") == Self.cpuHasAVX512, "\(cpu)")
    }

    @Test("the bf16 line names the kernel --precision bf16 would run, or says there is none")
    func bfloat16Line() throws {
        let result = try CLI.run(["--version"])
        #expect(result.status == 0, "\(result.summary)")
        let line = try #require(result.stdoutLines.first { $0.hasPrefix("bf16 (--precision bf16): ") }, "\(result.summary)")
        let flags = Self.cpuFlags
        if flags.contains("amx_bf16") && flags.contains("amx_tile") {
            #expect(line.contains("AMX-BF16") && !line.contains("not available"), "\(line)")
        } else if flags.contains("avx512_bf16") {
            #expect(line.contains("AVX512_BF16 (VDPBF16PS)"), "\(line)")
        } else {
            #expect(line.contains("not available"), "\(line)")
        }
    }

    @Test("the default path follows the CPU (and CVRNET_PORTABLE_KERNELS, which the test run may set)")
    func defaultPath() throws {
        let result = try CLI.run(["--version"])
        #expect(result.status == 0, "\(result.summary)")
        let kernels = try #require(result.stdoutLines.first { $0.hasPrefix("kernels: ") }, "\(result.summary)")
        let forced = ProcessInfo.processInfo.environment["CVRNET_PORTABLE_KERNELS"] == "1"
        let expected = forced ? "kernels: portable" : Self.cpuHasAVX512 ? "kernels: AVX-512" : Self.cpuHasAVX2AndFMA ? "kernels: AVX2" : "kernels: portable"
        #expect(kernels.hasPrefix(expected), "\(kernels)")
        // Debian's OpenBLAS 0.3.21 falls back to SSE3 kernels on CPUs newer than it; cvrnet
        // has it load the AVX2/AVX-512 ones instead, and says so.
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        if ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil && cpuinfo.contains(" avx2") && cpuinfo.contains(" fma") {
            let openblas = try #require(result.stdoutLines.first { $0.hasPrefix("openblas: core ") })
            #expect(!openblas.hasPrefix("openblas: core Prescott") && !openblas.hasPrefix("openblas: core Sandybridge"), "\(openblas)")
        }
    }
}
