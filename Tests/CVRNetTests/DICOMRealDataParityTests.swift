@testable import CVRNet
import Foundation
import ImageInput
import TestSupport
import Testing

/// The real CR chest (PyPI pydicom-data RG1_UNCR, read as DICOM) through CVR-Net with the
/// default reference weights, against Keras on the PNG dcmj2pnm renders from it
/// (`tools/make_dicom_real_data.py`). The reference weights are untrained: this checks
/// parity, not a diagnosis. Skipped, with the reason, only when tools/prepare.sh has not run.
@Suite
struct DICOMRealDataParityTests {
    @Test func chestPredictionMatchesKeras() throws {
        let data = try DICOMRealData.load()
        let model = try KerasParityTests.loadModel(data.chest.weights_file)
        let image = try KerasImageLoader().load(path: data.chestDICOMPath)
        #expect(fnv1a64(image.pixels) == data.chest.input_fnv1a64)
        let p = try model.predict(image)
        let error = zip(p.probabilities, data.chest.probabilities).map { abs($0 - $1) }.max() ?? .infinity
        #expect(p.probabilities.count == data.chest.probabilities.count)
        #expect(error <= KerasParityTests.probabilityTolerance, "\(data.chest.file): probabilities off by \(error)")
        let kerasTop = data.chest.probabilities.indices.max { data.chest.probabilities[$0] < data.chest.probabilities[$1] } ?? -1
        #expect(p.topIndex == kerasTop)
        for (head, kerasHead) in zip(p.heads, data.chest.heads) {
            let e = zip(head.probabilities, kerasHead).map { abs($0 - $1) }.max() ?? .infinity
            #expect(e <= KerasParityTests.probabilityTolerance, "head \(head.scale): off by \(e)")
        }
        print("DICOM real chest: CVR-Net vs Keras max probability difference \(error)")
    }
}
