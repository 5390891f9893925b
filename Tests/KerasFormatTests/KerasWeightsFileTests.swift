import Foundation
import KerasFormat
import Testing

/// Reading Keras 2 weights files: both layouts, every string encoding, float16/32/64,
/// compared with the values Keras's `layer.get_weights()` gave when the fixtures were made.
@Suite("KerasWeightsFile")
struct KerasWeightsFileTests {
    /// The readable Keras fixtures.
    static let goodFiles = [
        "tiny_weights.h5", "tiny_full.h5", "tiny_vlen_f16.h5", "tiny_fixed_f64.h5", "tiny_spacepad.h5",
    ]

    @Test("reads layout, layer names, versions and every weight", arguments: goodFiles)
    func readsEverything(_ name: String) throws {
        let file = try KerasWeightsFile(path: FormatFixtures.path(name))
        let expected = FormatFixtures.expectation(name)
        let expectedWeights = FormatFixtures.expectedWeights(name)
        #expect(!expectedWeights.isEmpty, "expected.json has no entry for \(name)")

        #expect(file.path == FormatFixtures.path(name))
        #expect(file.layout.rawValue == expected["layout"] as? String)
        #expect(file.layerNames == (expected["layer_names"] as? [String]))
        #expect(file.kerasVersion == expected["keras_version"] as? String)
        #expect(file.backend == expected["backend"] as? String)

        for layer in file.layerNames {
            let want = try #require(expectedWeights[layer], "no expectation for layer \(layer)")
            #expect(try file.weightNames(ofLayer: layer) == want.map(\.name))
            let got = try file.weights(ofLayer: layer)
            #expect(got.map(\.name) == want.map(\.name))
            #expect(got.map(\.shape) == want.map(\.shape), "\(name) \(layer)")
            for (array, reference) in zip(got, want) {
                #expect(array.values.count == array.shape.reduce(1, *))
                #expect(array.values == reference.values, "\(name) \(layer)/\(array.name)")
            }
        }
    }

    @Test("reads straight into caller memory", arguments: goodFiles)
    func readIntoBuffer(_ name: String) throws {
        let file = try KerasWeightsFile(path: FormatFixtures.path(name))
        let expectedWeights = FormatFixtures.expectedWeights(name)
        for layer in file.layerNames {
            for reference in expectedWeights[layer] ?? [] {
                let shape = try file.weightShape(ofLayer: layer, named: reference.name)
                #expect(shape == reference.shape)
                var buffer = [Float](repeating: .nan, count: shape.reduce(1, *))
                let returned = try buffer.withUnsafeMutableBufferPointer { pointer in
                    try file.readWeight(ofLayer: layer, named: reference.name, into: pointer)
                }
                #expect(returned == reference.shape)
                #expect(buffer == reference.values)
            }
        }
    }

    @Test("keeps the variables' old names in renamed layers")
    func renamedLayers() throws {
        let file = try KerasWeightsFile(path: FormatFixtures.path("tiny_weights.h5"))
        #expect(file.layout == .weightsOnly)
        #expect(file.layerNames == ["image", "res_conv1", "res_bn1", "relu1", "sep1", "gap", "dense_out"])
        #expect(try file.weightNames(ofLayer: "res_conv1") == ["conv1/kernel:0", "conv1/bias:0"])
        #expect(try file.weightNames(ofLayer: "res_bn1")
            == ["bn1/gamma:0", "bn1/beta:0", "bn1/moving_mean:0", "bn1/moving_variance:0"])
        #expect(try file.weightNames(ofLayer: "sep1")
            == ["sep1/depthwise_kernel:0", "sep1/pointwise_kernel:0", "sep1/bias:0"])
        #expect(try file.weightNames(ofLayer: "gap") == [])
        #expect(try file.weights(ofLayer: "image") == [])
        #expect(try file.datasetPath(ofLayer: "res_conv1", named: "conv1/kernel:0") == "/res_conv1/conv1/kernel:0")

        let kernel = try file.weight(ofLayer: "res_conv1", named: "conv1/kernel:0")
        #expect(kernel.shape == [3, 3, 3, 4])  // HWIO
        #expect(try file.weightShape(ofLayer: "sep1", named: "sep1/depthwise_kernel:0") == [3, 3, 4, 1])
        #expect(try file.weightShape(ofLayer: "sep1", named: "sep1/pointwise_kernel:0") == [1, 1, 4, 5])
        #expect(try file.weightShape(ofLayer: "dense_out", named: "dense_out/kernel:0") == [5, 3])  // (in, out)
        #expect(try file.weightShape(ofLayer: "res_bn1", named: "bn1/gamma:0") == [4])
    }

    @Test("reads the full-model layout and its model_config")
    func fullModel() throws {
        let file = try KerasWeightsFile(path: FormatFixtures.path("tiny_full.h5"))
        #expect(file.layout == .fullModel)
        #expect(try file.datasetPath(ofLayer: "res_conv1", named: "conv1/kernel:0") == "/model_weights/res_conv1/conv1/kernel:0")
        let json = try #require(file.modelConfigJSON)
        let config = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(config["class_name"] as? String == "Functional")
        #expect(json.contains("\"res_conv1\""))
        #expect(file.rootAttributes["model_config"] == json)
        #expect(file.rootAttributes["keras_version"] == file.kerasVersion)

        let fixed = try KerasWeightsFile(path: FormatFixtures.path("tiny_fixed_f64.h5"))
        #expect(fixed.layout == .fullModel)
        #expect(fixed.modelConfigJSON == FormatFixtures.expectation("tiny_fixed_f64.h5")["model_config"] as? String)
        #expect(fixed.rootAttributes["epoch_count"] == nil)  // an integer, not a string
        #expect(fixed.rootAttributes["backend"] == "tensorflow")
    }

    @Test("weights-only files have no model_config, and keep project root attributes")
    func rootAttributes() throws {
        let file = try KerasWeightsFile(path: FormatFixtures.path("tiny_vlen_f16.h5"))
        #expect(file.modelConfigJSON == nil)
        #expect(file.rootAttributes["cvrnet_reference_weights"] == "fixture: h5py, float16, vlen strings")
        #expect(file.rootAttributes["backend"] == "tensorflow")
        #expect(file.rootAttributes["layer_names"] == nil)  // an array, not a single string
        #expect(file.hdf5.path == file.path)
    }

    @Test("reads UTF-8 layer names and space-padded strings")
    func utf8AndSpacePadding() throws {
        let file = try KerasWeightsFile(path: FormatFixtures.path("tiny_spacepad.h5"))
        #expect(file.layerNames.last == "tête_dense")
        #expect(file.kerasVersion == "2.2.4")
        #expect(try file.weightNames(ofLayer: "tête_dense") == ["dense_out/kernel:0", "dense_out/bias:0"])
        #expect(try file.weights(ofLayer: "tête_dense").map(\.shape) == [[5, 3], [3]])
    }

    @Test("names unknown layers and weights")
    func unknownNames() throws {
        let file = try KerasWeightsFile(path: FormatFixtures.path("tiny_weights.h5"))
        let layer = formatError { try file.weights(ofLayer: "conv1") }
        #expect(layer == .layerNotFound(path: file.path, layer: "conv1"))
        #expect(layer?.description == "Keras weights file '\(file.path)' has no layer named 'conv1'.")

        let weight = formatError { try file.weight(ofLayer: "res_conv1", named: "res_conv1/kernel:0") }
        #expect(weight == .weightNotFound(path: file.path, layer: "res_conv1", weight: "res_conv1/kernel:0",
                                          available: ["conv1/kernel:0", "conv1/bias:0"]))
        #expect(weight?.description.contains("has no weight 'res_conv1/kernel:0' in layer 'res_conv1'") == true)
        #expect(weight?.description.contains("'conv1/kernel:0', 'conv1/bias:0'") == true)
        #expect(weight?.description.contains("tiny_weights.h5") == true)

        var buffer = [Float](repeating: 0, count: 3)
        let size = buffer.withUnsafeMutableBufferPointer { pointer in
            formatError { try file.readWeight(ofLayer: "res_conv1", named: "conv1/bias:0", into: pointer) }
        }
        #expect(size == .bufferSizeMismatch(path: file.path, dataset: "/res_conv1/conv1/bias:0", expected: 4, actual: 3))
    }

    @Test("is safe to share between many threads")
    func concurrentReads() async throws {
        let shared = try KerasWeightsFile(path: FormatFixtures.path("tiny_weights.h5"))
        let expectedWeights = FormatFixtures.expectedWeights("tiny_weights.h5")
        let files = Self.goodFiles
        let mismatches = await withTaskGroup(of: Int.self) { group in
            for task in 0..<16 {
                group.addTask {
                    var mismatches = 0
                    for round in 0..<20 {
                        // Half the work on one shared instance, half opening files of its own.
                        if (task + round) % 2 == 0 {
                            for layer in shared.layerNames {
                                let got = (try? shared.weights(ofLayer: layer)) ?? []
                                if got != expectedWeights[layer] ?? [] { mismatches += 1 }
                            }
                        } else {
                            let name = files[(task + round) % files.count]
                            guard let own = try? KerasWeightsFile(path: FormatFixtures.path(name)),
                                  let last = own.layerNames.last,
                                  (try? own.weights(ofLayer: last).count) == 2 else {
                                mismatches += 1
                                continue
                            }
                        }
                    }
                    return mismatches
                }
            }
            return await group.reduce(0, +)
        }
        #expect(mismatches == 0)
    }

    /// Times reading every dataset of a big weights file, when one is named by the
    /// environment variable CVRNET_BENCH_WEIGHTS (e.g. a 195 MB CVR-Net-sized file).
    @Test("reads a big file quickly", .enabled(if: ProcessInfo.processInfo.environment["CVRNET_BENCH_WEIGHTS"] != nil))
    func readAllDatasetsOfBigFile() throws {
        let path = try #require(ProcessInfo.processInfo.environment["CVRNET_BENCH_WEIGHTS"])
        let clock = ContinuousClock()
        var opened: KerasWeightsFile?
        let openTime = try clock.measure { opened = try KerasWeightsFile(path: path) }
        let file = try #require(opened)
        var datasets = 0
        var values = 0
        var arrays: [[Float]] = []
        let readTime = try clock.measure {
            for layer in file.layerNames {
                for name in try file.weightNames(ofLayer: layer) {
                    let shape = try file.weightShape(ofLayer: layer, named: name)
                    var storage = [Float](repeating: 0, count: shape.reduce(1, *))
                    try storage.withUnsafeMutableBufferPointer { pointer in
                        _ = try file.readWeight(ofLayer: layer, named: name, into: pointer)
                    }
                    datasets += 1
                    values += storage.count
                    arrays.append(storage)
                }
            }
        }
        arrays.removeAll()
        let arrayTime = try clock.measure {
            for layer in file.layerNames { values += try file.weights(ofLayer: layer).count }
        }
        print("[bench] \(path): open+check \(openTime), readWeight(into:) of \(datasets) datasets \(readTime), weights(ofLayer:) \(arrayTime)")
        #expect(datasets > 0)
    }
}
