@testable import CVRNet
import CVRNetKernels
import Foundation
import ImageInput
import TestSupport
import Testing

/// Every way of running one image (layers split across cores, encoders on separate cores with
/// hand-over, fully serial, any thread count) performs the same arithmetic, so gives bit-identical results.
/// This holds on the portable path too, whatever kernels OpenBLAS picked for the CPU: every mode
/// makes the very same OpenBLAS calls (splits depend on shapes only), and one call computes the
/// same way each time within a process.
struct ExecutionModeTests {
    @Test func executionModesAreBitIdentical() throws {
        let url = RepositoryPaths.weights.appendingPathComponent(RepositoryPaths.referenceWeightsFiles[0])
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw GeneratedFileMissing(message: RepositoryPaths.missingGeneratedFile(url))
        }
        let model = try CVRNetModel(weightsPath: url.path)
        let image = try KerasImageLoader().load(path: RepositoryPaths.sampleImages.appendingPathComponent("png-rgb8-333x287.png").path)
        let modes: [(String, () -> Prediction)] = [
            ("layers split", { image.pixels.withUnsafeBufferPointer { model.run($0.baseAddress!, observer: nil, encodersInParallel: false) } }),
            ("encoders in parallel", { image.pixels.withUnsafeBufferPointer { model.run($0.baseAddress!, observer: nil, encodersInParallel: true) } }),
            ("serial", { image.pixels.withUnsafeBufferPointer { model.run($0.baseAddress!, context: .serial, observer: nil, encodersInParallel: false) } }),
            ("encoders in parallel, 1 thread", { image.pixels.withUnsafeBufferPointer { model.run($0.baseAddress!, context: .serial, observer: nil, encodersInParallel: true) } }),
            ("encoders in parallel, 3 threads", { image.pixels.withUnsafeBufferPointer { model.run($0.baseAddress!, context: ComputeContext(threads: 3), observer: nil, encodersInParallel: true) } }),
            ("layers split, 5 threads", { image.pixels.withUnsafeBufferPointer { model.run($0.baseAddress!, context: ComputeContext(threads: 5), observer: nil, encodersInParallel: false) } }),
        ]
        let reference = modes[0].1()
        for (name, run) in modes.dropFirst() {
            let p = run()
            #expect(p.probabilities.map(\.bitPattern) == reference.probabilities.map(\.bitPattern), "\(name)")
            #expect(p.heads.map { $0.probabilities.map(\.bitPattern) } == reference.heads.map { $0.probabilities.map(\.bitPattern) }, "\(name)")
        }
        let batch = try model.predict(batch: [image.pixels, image.pixels, image.pixels])
        for p in batch { #expect(p.probabilities.map(\.bitPattern) == reference.probabilities.map(\.bitPattern), "batch") }
    }
}
