import CVRNet
import Foundation
import KerasFormat
import TestSupport
import Testing

/// `CVRNetModel.diagnose`: every problem of a weights file, each once, with the loader's own
/// error among them, and what can be read still described.
@Suite struct WeightsDiagnosisTests {
    static func fixture(_ name: String) -> String {
        RepositoryPaths.fixtures.appendingPathComponent("model-errors").appendingPathComponent(name).path
    }

    static func loadError(_ path: String, labels: [String]? = nil) -> CVRNetError? {
        do { _ = try CVRNetModel(weightsPath: path, labels: labels); return nil } catch { return error }
    }

    @Test("the reference weights: loads, no problems, the parameter counts add up")
    func referenceWeights() throws {
        let url = RepositoryPaths.weights.appendingPathComponent("reference-2class-keras231-weights.hdf5")
        try #require(FileManager.default.fileExists(atPath: url.path), Comment(rawValue: RepositoryPaths.missingGeneratedFile(url)))
        let report = CVRNetModel.diagnose(weightsPath: url.path)
        #expect(report.problems.isEmpty, "\(report.problems)")
        #expect(report.loads)
        #expect(report.namingScheme == .keras231)
        #expect(report.classCount == 2 && report.labels?.count == 2)
        #expect(report.isReference)
        #expect(report.heads.map(\.scale) == HeadScale.allCases)
        #expect(report.heads.allSatisfy { $0.layers.count == 4 })
        // The notebook's model.summary() of its 2-class model (tools/cvrnet_model.py NOTEBOOK_PARAMS_2CLASS).
        #expect(report.totalParameters == 48_602_610)
        #expect(report.resnetParameters + report.xceptionParameters + report.heads.map(\.parameters).reduce(0, +)
                + report.otherParameters == report.totalParameters)
    }

    @Test("labels that do not fit: the loader's error, and the weights still described")
    func labelsDoNotFit() throws {
        let url = RepositoryPaths.weights.appendingPathComponent("reference-2class-keras231-weights.hdf5")
        try #require(FileManager.default.fileExists(atPath: url.path), Comment(rawValue: RepositoryPaths.missingGeneratedFile(url)))
        let labels = ["A", "B", "C"]
        let report = CVRNetModel.diagnose(weightsPath: url.path, labels: labels)
        let error = try #require(Self.loadError(url.path, labels: labels))
        #expect(report.problems == [.model(error)])
        #expect(!report.loads)
        #expect(report.classCount == 2 && report.namingScheme == .keras231)
    }

    @Test("heads that disagree: found by the walk and by the loader, listed once")
    func headsDisagree() throws {
        let path = Self.fixture("heads-disagree.h5")
        let report = CVRNetModel.diagnose(weightsPath: path)
        let error = try #require(Self.loadError(path))
        #expect(error == .headsDisagree(path: path, classCounts: [2, 2, 3, 2, 2]))
        #expect(report.problems.filter { $0 == .model(error) }.count == 1, "\(report.problems)")
        #expect(report.classCount == nil)
        #expect(Set(report.problems.map(\.description)).count == report.problems.count)
    }

    @Test("no Xception layers: the loader stops at the residual names; the walk also finds the empty encoder")
    func xceptionMissing() throws {
        let path = Self.fixture("xception-residuals-missing.h5")
        let report = CVRNetModel.diagnose(weightsPath: path)
        let error = try #require(Self.loadError(path))
        #expect(report.problems.contains(.model(error)))
        #expect(report.problems.contains(.encoderWithoutWeights(path: path, encoder: "Xception", prefix: "xce_")))
        #expect(report.problems.allSatisfy { $0.description.contains(path) && !$0.description.contains("\n") })
        #expect(report.namingScheme == .tfKeras || report.namingScheme == .keras231, "what can be read is still described")
    }

    @Test("not a weights file: one problem, the loader's")
    func notHDF5() throws {
        let path = RepositoryPaths.fixtures.appendingPathComponent("format/not_hdf5.txt").path
        let report = CVRNetModel.diagnose(weightsPath: path)
        let error = try #require(Self.loadError(path))
        #expect(report.problems.count == 1 && report.problems[0].description == error.description, "\(report.problems)")
        #expect(report.layout == nil && !report.loads)
    }
}
