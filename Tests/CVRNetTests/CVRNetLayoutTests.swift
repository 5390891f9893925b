@testable import CVRNet
import Foundation
import TestSupport
import Testing

/// `CVRNetLayout` against what Keras builds: `Tests/Fixtures/layout/cvrnet-layout.json`,
/// written by tools/make_layout_fixture.py from the graphs of tools/cvrnet_model.py.
@Suite struct CVRNetLayoutTests {
    struct Fixture: Decodable {
        struct Stage: Decodable, Equatable { let stage, blocks, filters, stride: Int }
        struct Residual: Decodable { let block: Int; let convolution: String; let batch_norm: String }
        struct Head: Decodable { let head: Int; let tap_layers: [String]; let map_shape: [Int]; let dense: [String]; let units: [Int] }
        struct Scheme: Decodable {
            let resnet50_bn_epsilon: [Double]
            let xception_bn_epsilon: [Double]
            let resnet50_stages: [Stage]
            let xception_residuals: [Residual]
            let encoder_output_channels: [Int]
            let heads: [Head]
            let layer_names: [String]
        }
        let input_shape: [Int]
        let schemes: [String: Scheme]
    }

    static let fixture: Fixture = {
        let url = RepositoryPaths.fixtures.appendingPathComponent("layout/cvrnet-layout.json")
        return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }()

    static let schemes: [(String, NamingScheme)] = [("tfkeras", .tfKeras), ("keras231", .keras231)]

    @Test func inputShape() {
        let shape = CVRNetLayout.inputShape
        #expect(Self.fixture.input_shape == [shape.height, shape.width, shape.channels])
    }

    @Test(arguments: schemes) func namingSchemeIsDetectedWithItsEpsilons(_ key: String, _ scheme: NamingScheme) throws {
        let facts = try #require(Self.fixture.schemes[key])
        #expect(NamingScheme.detect(layerNames: Set(facts.layer_names)) == scheme)
        #expect(facts.resnet50_bn_epsilon.map(Float.init) == [scheme.resNet50BatchNormEpsilon])
        #expect(facts.xception_bn_epsilon.map(Float.init) == [CVRNetLayout.xceptionBatchNormEpsilon])
        #expect(facts.layer_names.allSatisfy { !$0.hasPrefix("res_") || $0.hasPrefix(CVRNetLayout.resNet50Prefix) })
    }

    @Test(arguments: schemes) func resNet50Stages(_ key: String, _ scheme: NamingScheme) throws {
        let facts = try #require(Self.fixture.schemes[key])
        #expect(facts.resnet50_stages == CVRNetLayout.resNet50Stages.map {
            Fixture.Stage(stage: $0.stage, blocks: $0.blocks, filters: $0.filters, stride: $0.stride)
        })
        // Every name the loader asks for exists under this scheme.
        let names = Set(facts.layer_names)
        let resnet = ResNet50LayerNames(scheme: scheme)
        #expect(names.contains(resnet.stemConv) && names.contains(resnet.stemBatchNorm))
        for (stage, blocks, _, _) in CVRNetLayout.resNet50Stages {
            for block in 1...blocks {
                for branch in [ResNet50LayerNames.Branch.reduce, .spatial, .expand] + (block == 1 ? [.shortcut] : []) {
                    let (conv, bn) = resnet.blockLayers(stage: stage, block: block, branch: branch)
                    #expect(names.contains(conv) && names.contains(bn), "\(conv) / \(bn)")
                }
            }
        }
    }

    @Test(arguments: schemes) func xceptionResidualProjections(_ key: String, _ scheme: NamingScheme) throws {
        let facts = try #require(Self.fixture.schemes[key])
        let (convs, norms) = CVRNetLayout.xceptionResidualLayers(in: facts.layer_names)
        #expect(convs == facts.xception_residuals.map(\.convolution))
        #expect(norms == facts.xception_residuals.map(\.batch_norm))
        #expect(CVRNetLayout.xceptionResidualBlocks == facts.xception_residuals.map(\.block))
    }

    @Test(arguments: schemes) func headsTapsWidthsAndDenseLayers(_ key: String, _ scheme: NamingScheme) throws {
        let facts = try #require(Self.fixture.schemes[key])
        let heads = try #require(CVRNetLayout.headLayers(autoNamedDense: CVRNetLayout.autoNamedDense(in: facts.layer_names)))
        let inputs = CVRNetLayout.headInputs(resnetOutput: facts.encoder_output_channels[0],
                                             xceptionOutput: facts.encoder_output_channels[1])
        #expect(facts.heads.map(\.head) == HeadScale.allCases.map(\.rawValue))
        for (scale, head) in zip(HeadScale.allCases, facts.heads) {
            #expect(heads[scale.rawValue - 1] == head.dense, "head \(scale.rawValue)")
            #expect(CVRNetLayout.tapLayers(scale, scheme: scheme) == head.tap_layers, "head \(scale.rawValue)")
            #expect(inputs[scale.rawValue - 1] == head.map_shape.last, "head \(scale.rawValue)")
            #expect(Array(head.units.dropLast()) == CVRNetLayout.headHiddenUnits)
            #expect(head.dense[2] == CVRNetLayout.namedHeadLayer(scale))
        }
    }
}
