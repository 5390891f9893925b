// cvrnet-benchmark: times this engine (load, batch-1 latency, batch-N per-image time), measures
// the machine's single-precision sgemm peak with OpenBLAS, reports peak resident memory, and
// optionally runs given input tensors and reports their probabilities (so tools/benchmark.py
// can compare them with Keras, ONNX Runtime and OpenVINO on the very same floats), in fp32 (the
// default) or, with --precision bf16, on the CPU's bfloat16 kernel (AMX-BF16 or AVX512_BF16).
//
// Run `cvrnet-benchmark --help` for the options. tools/benchmark.sh runs it next to the peers.

import COpenBLAS
import CVRNet
import Foundation

#if canImport(Glibc)
import Glibc
#endif

let gflopPerImage = ReferenceWeights.gflopPerImage
let imageFloats = CVRNetModel.inputWidth * CVRNetModel.inputHeight * CVRNetModel.inputChannels

// MARK: - Options

struct Options {
    var weights = ReferenceWeights.defaultRelativePath
    var batches = [1, 8]
    var runs = 10
    var warmup = 3
    var inputs: String?
    var json = false
    var sgemmSize = 2048
    var sgemmRuns = 5
    var sgemm = true
    var threads = ProcessInfo.processInfo.activeProcessorCount
    var profile = false
    var precision = CVRNetModel.Precision.float32

    /// Exit statuses (documented in `usage`); tools/benchmark.py tells "this CPU cannot run the
    /// precision" (an engine that is unavailable, not one that failed) by `precisionUnavailable`.
    enum ExitStatus: Int32 {
        case success = 0, failure = 1, usage = 2, precisionUnavailable = 3
    }

    static let usage = """
    usage: cvrnet-benchmark [--weights PATH] [--precision fp32|bf16] [--batch 1,8] [--runs N] [--warmup N]
                            [--inputs FILE.f32] [--sgemm-size N] [--sgemm-runs N] [--no-sgemm] [--threads N] [--json]
           cvrnet-benchmark --profile [--weights PATH] [--precision fp32|bf16] [--runs N] [--threads N]

    Times this engine (release build) on one CVR-Net weights file:
      load time, then for each batch size B: W untimed warm-up calls and N timed calls of
      predict(batch:) with B inputs; reports milliseconds per image (median, min, max, IQR) and
      GFLOP/s at \(gflopPerImage) GFLOP per image. Then the peak resident memory (VmHWM) of
      this process so far, then the best of several M=N=K cblas_sgemm calls on one thread and
      on all cores (the machine's single-precision peak as OpenBLAS reaches it).

      --weights PATH     Keras HDF5 weights (default \(ReferenceWeights.defaultRelativePath))
      --precision P      fp32 (default) or bf16: the model's Options.precision; bf16 runs the
                         convolutions on the CPU's AMX-BF16 or AVX512_BF16 kernel (reported as
                         bf16Kernel) and exits with status 3 on a CPU with neither
      --batch LIST       comma-separated batch sizes (default 1,8)
      --runs N           timed calls per batch size (default 10)
      --warmup N         untimed calls before them (default 3)
      --inputs FILE      N x 224 x 224 x 3 little-endian float32 (HWC, RGB, raw 0..255, as Keras
                         img_to_array gives them); the timed batches cycle through them, and
                         each one's probabilities (final and per head) are reported.
                         Without it the timing inputs are fixed pseudo-random pixels.
      --sgemm-size N     M=N=K of the sgemm peak measurement (default 2048)
      --sgemm-runs N     timed sgemm calls, the best one counts (default 5)
      --no-sgemm         skip the sgemm measurement
      --threads N        the model's threads (CVRNetModel.Options; default: every processor)
      --json             print one JSON object instead of text
      --profile          instead: time every step of both encoders' execution plans (encoders
                         one after the other, each step on all --threads), N runs (--runs), and
                         print each step's median ms, slowest first, with its kernel variant

    Exit status: 0 done; 1 failed (unreadable weights or inputs, ...); 2 bad arguments;
    3 precision not available on this CPU (--precision bf16 without AMX-BF16 or AVX512_BF16;
      the reason on one line of stderr).
    """

    static func parse(_ args: [String]) throws -> Options {
        var o = Options()
        var i = 0
        func value(_ name: String) throws -> String {
            i += 1
            guard i < args.count else { throw UsageError("\(name) needs a value") }
            return args[i]
        }
        func positive(_ name: String, _ text: String, allowZero: Bool = false) throws -> Int {
            guard let n = Int(text), allowZero ? n >= 0 : n > 0 else {
                throw UsageError("\(name) expects \(allowZero ? "a non-negative" : "a positive") integer, not '\(text)'")
            }
            return n
        }
        while i < args.count {
            let arg = args[i]
            // Accept --name=value as well as --name value.
            var name = arg
            var inline: String?
            if arg.hasPrefix("--"), let eq = arg.firstIndex(of: "=") {
                name = String(arg[..<eq])
                inline = String(arg[arg.index(after: eq)...])
            }
            func v() throws -> String { try inline ?? value(name) }
            switch name {
            case "--weights": o.weights = try v()
            case "--batch", "--batches":
                let text = try v()
                o.batches = try text.split(separator: ",").map { try positive("--batch", String($0)) }
                if o.batches.isEmpty { throw UsageError("--batch needs at least one size") }
            case "--runs": o.runs = try positive(name, try v())
            case "--warmup": o.warmup = try positive(name, try v(), allowZero: true)
            case "--inputs": o.inputs = try v()
            case "--sgemm-size": o.sgemmSize = try positive(name, try v())
            case "--sgemm-runs": o.sgemmRuns = try positive(name, try v())
            case "--no-sgemm": o.sgemm = false
            case "--threads": o.threads = try positive(name, try v())
            case "--json": o.json = true
            case "--profile": o.profile = true
            case "--precision":
                let text = try v()
                guard let p = CVRNetModel.Precision(rawValue: text) else {
                    throw UsageError("--precision expects \(CVRNetModel.Precision.allCases.map(\.rawValue).joined(separator: " or ")), not '\(text)'")
                }
                o.precision = p
            case "-h", "--help":
                print(usage)
                exit(0)
            default: throw UsageError("unknown argument '\(arg)'")
            }
            i += 1
        }
        return o
    }
}

struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// `--precision` names a precision this CPU has no kernels for (`CVRNetError.precisionUnavailable`).
struct PrecisionUnavailable: Error, CustomStringConvertible {
    let description: String
}

/// Loads the model with the options the benchmark was given; a precision this CPU cannot run
/// is kept apart from other failures (its own exit status).
func loadModel(_ o: Options) throws -> CVRNetModel {
    do {
        return try CVRNetModel(weightsPath: o.weights,
                               options: CVRNetModel.Options(threads: o.threads, returnFreedMemory: true,
                                                            precision: o.precision))
    } catch {
        if case CVRNetError.precisionUnavailable = error { throw PrecisionUnavailable(description: error.description) }
        throw Failure("\(error)")
    }
}

/// A string that is written as JSON null when absent (synthesized Codable leaves the key out),
/// so every report has the key.
struct NullableString: Codable {
    let value: String?
    init(_ value: String?) { self.value = value }
    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        value = c.decodeNil() ? nil : try c.decode(String.self)
    }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        if let value { try c.encode(value) } else { try c.encodeNil() }
    }
}

// MARK: - Measurements

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Median, extremes and quartiles of a sample (linear interpolation, as numpy.percentile).
struct Stats: Codable {
    let median: Double, min: Double, max: Double, p25: Double, p75: Double, mean: Double
    let samples: [Double]

    init(_ xs: [Double]) {
        let s = xs.sorted()
        func pct(_ p: Double) -> Double {
            let pos = p * Double(s.count - 1)
            let lo = Int(pos.rounded(.down)), hi = Swift.min(lo + 1, s.count - 1)
            return s[lo] + (s[hi] - s[lo]) * (pos - Double(lo))
        }
        median = pct(0.5); min = s.first!; max = s.last!; p25 = pct(0.25); p75 = pct(0.75)
        mean = s.reduce(0, +) / Double(s.count)
        samples = xs
    }
}

/// Fields of /proc/self/status in MiB (VmHWM = peak resident set, VmRSS = current).
func procStatusMiB(_ field: String) -> Double? {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
        let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        if parts.count >= 2, let kib = Double(parts[1]) { return kib / 1024 }
    }
    return nil
}

func ruMaxRSSMiB() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_maxrss) / 1024  // KiB on Linux
}

func readInputs(_ path: String) throws -> [[Float]] {
    guard let data = FileManager.default.contents(atPath: path) else { throw Failure("cannot read --inputs file '\(path)'") }
    let bytesPerImage = imageFloats * MemoryLayout<Float>.size
    guard data.count > 0, data.count % bytesPerImage == 0 else {
        throw Failure("--inputs file '\(path)' has \(data.count) bytes, not a multiple of 224*224*3*4 = \(bytesPerImage)")
    }
    let count = data.count / bytesPerImage
    return data.withUnsafeBytes { raw in
        (0..<count).map { n in
            (0..<imageFloats).map { j in
                Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: (n * imageFloats + j) * 4, as: UInt32.self)))
            }
        }
    }
}

/// Fixed pseudo-random pixels in 0...255 (the timing does not depend on the values).
func syntheticInputs(_ count: Int) -> [[Float]] {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    return (0..<count).map { _ in
        (0..<imageFloats).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float((state >> 33) % 256)
        }
    }
}

struct BatchResult: Codable {
    let batch: Int
    let runs: Int
    let warmup: Int
    /// Milliseconds per image (batch time / batch size) over the timed runs.
    let msPerImage: Stats
    /// Milliseconds per predict(batch:) call.
    let msPerBatch: Stats
    /// gflopPerImage / median seconds per image.
    let gflopsMedian: Double
    let gflopsBest: Double
}

struct SgemmResult: Codable {
    let size: Int
    let runs: Int
    let threads: Int
    let bestMs: Double
    let medianMs: Double
    let gflopsBest: Double
    let gflopsMedian: Double
}

struct InputOutput: Codable {
    let index: Int
    let probabilities: [Float]
    let heads: [[Float]]
}

struct Report: Codable {
    var engine = "cvrnet"
    let weights: String
    let weightsBytes: Int64
    /// `--precision`: "fp32" or "bf16".
    let precision: String
    /// The kernel bf16 convolutions ran on ("AMX-BF16", "AVX512_BF16"); null with fp32.
    let bf16Kernel: NullableString
    let classes: Int
    let namingScheme: String
    let cores: Int
    let openblasCore: String
    let openblasConfig: String
    let openblasThreads: Int
    /// The model's `Options.threads`.
    let modelThreads: Int
    let environment: [String: String]
    let gflopPerImage: Double
    let loadMs: Double
    let firstPredictionMs: Double
    let rssAfterLoadMiB: Double?
    let batches: [BatchResult]
    let peakRssMiB: Double
    let peakRssSource: String
    /// cblas_sgemm on all cores: the machine's peak as measured now.
    let sgemm: SgemmResult?
    /// The same on one thread: times the core count, the all-core ceiling of an idle machine
    /// (on a busy machine the all-core figure drops far more than the one-thread one).
    let sgemmOneThread: SgemmResult?
    let inputsFile: String?
    let outputs: [InputOutput]?
}

func measureSgemm(size n: Int, runs: Int, threads: Int) -> SgemmResult {
    openblas_set_num_threads(Int32(threads))
    var a = [Float](repeating: 0, count: n * n)
    var b = [Float](repeating: 0, count: n * n)
    var c = [Float](repeating: 0, count: n * n)
    for i in 0..<(n * n) {
        a[i] = Float(i % 97) * 0.01 - 0.48
        b[i] = Float(i % 89) * 0.01 - 0.44
    }
    var times: [Double] = []
    a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            c.withUnsafeMutableBufferPointer { pc in
                let N = Int32(n)
                func call() {
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1, pa.baseAddress, N,
                                pb.baseAddress, N, 0, pc.baseAddress, N)
                }
                call()  // warm-up: threads started, pages touched
                for _ in 0..<runs {
                    let t0 = now()
                    call()
                    times.append(now() - t0)
                }
            }
        }
    }
    let flop = 2 * Double(n) * Double(n) * Double(n)
    let s = Stats(times)
    return SgemmResult(size: n, runs: runs, threads: Int(openblas_get_num_threads()), bestMs: s.min * 1e3,
                       medianMs: s.median * 1e3, gflopsBest: flop / s.min / 1e9, gflopsMedian: flop / s.median / 1e9)
}

// MARK: - Main

func fmt(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }

func run(_ o: Options) throws -> Report {
    let fileBytes = ((try? FileManager.default.attributesOfItem(atPath: o.weights))?[.size] as? NSNumber)?.int64Value ?? -1

    var inputs: [[Float]]
    if let path = o.inputs { inputs = try readInputs(path) } else { inputs = syntheticInputs(min(8, o.batches.max()!)) }

    let t0 = now()
    let model = try loadModel(o)
    let loadMs = (now() - t0) * 1e3
    let rssAfterLoad = procStatusMiB("VmRSS")

    // The first prediction (allocates the workspace, touches every weight) is reported apart.
    let t1 = now()
    _ = try model.predict(pixels: inputs[0])
    let firstMs = (now() - t1) * 1e3

    var batchResults: [BatchResult] = []
    for b in o.batches {
        let batch = (0..<b).map { inputs[$0 % inputs.count] }
        for _ in 0..<o.warmup { _ = try model.predict(batch: batch) }
        var times: [Double] = []
        for _ in 0..<o.runs {
            let start = now()
            let out = try model.predict(batch: batch)
            times.append(now() - start)
            precondition(out.count == b)
        }
        let perBatch = Stats(times.map { $0 * 1e3 })
        let perImage = Stats(times.map { $0 * 1e3 / Double(b) })
        batchResults.append(BatchResult(batch: b, runs: o.runs, warmup: o.warmup, msPerImage: perImage, msPerBatch: perBatch,
                                        gflopsMedian: gflopPerImage / (perImage.median / 1e3),
                                        gflopsBest: gflopPerImage / (perImage.min / 1e3)))
    }

    var outputs: [InputOutput]?
    if o.inputs != nil {
        outputs = try inputs.enumerated().map { i, x in
            let p = try model.predict(pixels: x)
            return InputOutput(index: i, probabilities: p.probabilities, heads: p.heads.map(\.probabilities))
        }
    }

    // Peak resident memory of the engine: measured before the sgemm buffers exist.
    let hwm = procStatusMiB("VmHWM")
    let peak = hwm ?? ruMaxRSSMiB()

    let cores = ProcessInfo.processInfo.activeProcessorCount
    let sgemmOne = o.sgemm ? measureSgemm(size: o.sgemmSize, runs: o.sgemmRuns, threads: 1) : nil
    let sgemm = o.sgemm ? measureSgemm(size: o.sgemmSize, runs: o.sgemmRuns, threads: cores) : nil

    var env: [String: String] = [:]
    for key in ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"] {
        if let v = ProcessInfo.processInfo.environment[key] { env[key] = v }
    }
    return Report(weights: o.weights, weightsBytes: fileBytes, precision: model.options.precision.rawValue,
                  bf16Kernel: NullableString(model.bfloat16Kernel.map { "\($0)" }), classes: model.classCount,
                  namingScheme: "\(model.weights.namingScheme)", cores: ProcessInfo.processInfo.activeProcessorCount,
                  openblasCore: String(cString: openblas_get_corename()),
                  openblasConfig: String(cString: openblas_get_config()).trimmingCharacters(in: .whitespaces),
                  openblasThreads: Int(openblas_get_num_threads()), modelThreads: model.options.threads, environment: env,
                  gflopPerImage: gflopPerImage, loadMs: loadMs, firstPredictionMs: firstMs, rssAfterLoadMiB: rssAfterLoad,
                  batches: batchResults, peakRssMiB: peak, peakRssSource: hwm != nil ? "VmHWM" : "ru_maxrss",
                  sgemm: sgemm, sgemmOneThread: sgemmOne, inputsFile: o.inputs, outputs: outputs)
}

func printText(_ r: Report) {
    print("cvrnet-benchmark: \(r.weights) (\(r.classes) classes, \(r.namingScheme) names, \(fmt(Double(r.weightsBytes) / 1048576)) MiB)")
    print("precision \(r.precision)" + (r.bf16Kernel.value.map { ", bf16 kernel \($0)" } ?? ""))
    print("cores \(r.cores); OpenBLAS \(r.openblasCore), \(r.openblasConfig)"
          + (r.environment.isEmpty ? "" : "; " + r.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")))
    print("load \(fmt(r.loadMs)) ms, first prediction \(fmt(r.firstPredictionMs)) ms"
          + (r.rssAfterLoadMiB.map { ", RSS after load \(fmt($0)) MiB" } ?? ""))
    for b in r.batches {
        let s = b.msPerImage
        print("batch \(b.batch): \(fmt(s.median)) ms/image median (min \(fmt(s.min)), max \(fmt(s.max)), IQR \(fmt(s.p25))-\(fmt(s.p75)); "
              + "\(b.runs) runs after \(b.warmup) warm-up), \(fmt(b.gflopsMedian)) GFLOP/s")
    }
    print("peak RSS \(fmt(r.peakRssMiB)) MiB (\(r.peakRssSource), before the sgemm measurement)")
    if let g = r.sgemm {
        print("sgemm \(g.size)^3 on \(g.threads) threads: best \(fmt(g.bestMs, 2)) ms = \(fmt(g.gflopsBest)) GFLOP/s "
              + "(median \(fmt(g.gflopsMedian)))")
        if let one = r.sgemmOneThread {
            print("sgemm \(one.size)^3 on 1 thread: best \(fmt(one.gflopsBest)) GFLOP/s; x \(r.cores) cores = \(fmt(one.gflopsBest * Double(r.cores)))")
        }
        for b in r.batches {
            print("  batch \(b.batch): \(fmt(100 * b.gflopsMedian / g.gflopsBest))% of the sgemm peak")
        }
    }
    if let outs = r.outputs {
        for o in outs { print("input \(o.index): " + o.probabilities.map { String(format: "%.6f", $0) }.joined(separator: " ")) }
    }
}

/// `--profile`: where the time of a forward pass goes, step by step.
func runProfile(_ o: Options) throws {
    let model = try loadModel(o)
    let input = o.inputs != nil ? try readInputs(o.inputs!)[0] : syntheticInputs(1)[0]
    _ = try model.predict(pixels: input)  // warm-up: workspace, weights in cache
    let steps = try model.profileSteps(pixels: input, runs: o.runs)
    let total = steps.map(\.milliseconds).reduce(0, +)
    print("per-step median of \(o.runs) runs, \(model.options.threads) threads, precision \(model.options.precision)"
          + (model.bfloat16Kernel.map { " (\($0))" } ?? "") + ", encoders one after the other; " +
          "total \(fmt(total)) ms (ResNet50 \(fmt(steps.filter { $0.encoder == "ResNet50" }.map(\.milliseconds).reduce(0, +))) ms)")
    for s in steps.sorted(by: { $0.milliseconds > $1.milliseconds }) where s.milliseconds >= 0.05 {
        print(String(format: "%8.2f ms %5.1f%%  ", s.milliseconds, 100 * s.milliseconds / total) + "\(s.encoder) #\(s.index) \(s.label)")
    }
}

do {
    let options = try Options.parse(Array(CommandLine.arguments.dropFirst()))
    if options.profile {
        try runProfile(options)
        exit(Options.ExitStatus.success.rawValue)
    }
    let report = try run(options)
    if options.json {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try enc.encode(report)
        print(String(decoding: data, as: UTF8.self))
    } else {
        printText(report)
    }
} catch let e as UsageError {
    FileHandle.standardError.write("cvrnet-benchmark: \(e)\n\n\(Options.usage)\n".data(using: .utf8)!)
    exit(Options.ExitStatus.usage.rawValue)
} catch let e as PrecisionUnavailable {
    FileHandle.standardError.write("cvrnet-benchmark: --precision: \(e)\n".data(using: .utf8)!)
    exit(Options.ExitStatus.precisionUnavailable.rawValue)
} catch {
    FileHandle.standardError.write("cvrnet-benchmark: \(error)\n".data(using: .utf8)!)
    exit(Options.ExitStatus.failure.rawValue)
}
