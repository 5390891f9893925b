import Foundation
import Testing
import TestSupport

@Suite("cvrnet inspect")
struct InspectCommandTests {
    /// The notebook's CVR-Net with 2 classes (tools/cvrnet_model.py NOTEBOOK_PARAMS_2CLASS);
    /// each extra class adds 65 parameters per head.
    static func expectedParameters(classes: Int) -> Int { 48_602_610 + 5 * 65 * (classes - 2) }

    @Test("a good weights file: format, naming, attributes, classes, parameters, reference note; exit 0")
    func inspectGood() throws {
        let weights = try Files.referenceWeights()
        let result = try CLI.run(["inspect", weights])
        #expect(result.status == 0, "\(result.summary)")
        let text = result.stdout
        #expect(text.contains("Keras 2 HDF5, weights only"))
        #expect(text.contains("Keras 2.3.1"))
        #expect(text.contains("keras_version"))
        #expect(text.contains("backend            tensorflow"))
        #expect(text.contains("classes            2: NCP, NOR"))
        #expect(text.contains("reference weights  yes"))
        #expect(text.contains("ResNet50 encoder (res_*)"))
        #expect(text.contains("head 5 Xception 14x14"))
        #expect(text.contains("48,602,610"))
        #expect(text.contains("OK"))
        #expect(result.stderr.isEmpty, "\(result.summary)")
    }

    @Test("--json on every reference weights file, full-model and tf.keras files included",
          arguments: RepositoryPaths.referenceWeightsFiles)
    func inspectJSON(_ name: String) throws {
        let weights = try Files.referenceWeights(name)
        let result = try CLI.run(["inspect", "--json", "--weights", weights])
        #expect(result.status == 0, "\(result.summary)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let classes = try #require(object["class_count"] as? Int)
        #expect(name.contains("\(classes)class"))
        #expect(object["format"] as? String == (name.hasSuffix("-model.h5") ? "full-model" : "weights-only"))
        #expect(object["naming_scheme"] as? String == (name.contains("keras231") ? "Keras 2.3.1" : "tf.keras"))
        #expect(object["reference_weights"] as? Bool == true)
        #expect(object["loads"] as? Bool == true)
        #expect((object["problems"] as? [Any])?.isEmpty == true)
        #expect((object["labels"] as? [String])?.count == classes)
        let parameters = try #require(object["parameters"] as? [String: Any])
        let heads = try #require(parameters["heads"] as? [[String: Any]])
        #expect(heads.count == 5)
        #expect(heads.map { $0["identifier"] as? String } == ["fused_7x7", "resnet_14x14", "resnet_28x28", "xception_28x28", "xception_14x14"])
        for head in heads { #expect((head["layers"] as? [String])?.count == 4) }
        let resnet = try #require(parameters["resnet50"] as? Int)
        let xception = try #require(parameters["xception"] as? Int)
        let headSum = heads.compactMap { $0["parameters"] as? Int }.reduce(0, +)
        let other = try #require(parameters["other"] as? Int)
        #expect(resnet == 23_587_712)
        #expect(xception == 20_861_480)
        #expect(other == 0)
        #expect(parameters["total"] as? Int == Self.expectedParameters(classes: classes))
        #expect(resnet + xception + headSum == Self.expectedParameters(classes: classes))
    }

    @Test("a file that is not HDF5: exit 2, the problem on stderr naming the file")
    func inspectNotHDF5() throws {
        let path = Files.sampleImage("png-gray8-224x224.png")
        let result = try CLI.run(["inspect", path])
        #expect(result.status == 2, "\(result.summary)")
        #expect(result.stderrLines.count == 1, "\(result.summary)")
        #expect(result.stderr.contains(path) && result.stderr.contains("HDF5"))
        #expect(result.stdout.contains("problem"))

        let json = try CLI.run(["inspect", "--json", path])
        #expect(json.status == 2)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["loads"] as? Bool == false)
        #expect((object["problems"] as? [String])?.count == 1)
    }

    @Test("a truncated weights file: exit 2, every problem listed once")
    func inspectTruncated() throws {
        let weights = try Files.referenceWeights()
        let dir = try Files.temporaryDirectory()
        defer { Files.cleanUp(dir) }
        let truncated = dir.appendingPathComponent("truncated.hdf5")
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: weights))
        let head = try handle.read(upToCount: 4 << 20) ?? Data()
        try handle.close()
        try head.write(to: truncated)
        let result = try CLI.run(["inspect", truncated.path])
        #expect(result.status == 2, "\(result.summary)")
        #expect(!result.stderrLines.isEmpty)
        #expect(Set(result.stderrLines).count == result.stderrLines.count, "no problem twice")
        #expect(result.stderrLines.allSatisfy { $0.contains(truncated.path) }, "\(result.summary)")
        #expect(!result.stderr.contains("Fatal error"))
    }

    @Test("a damaged weights file: every problem listed, not only the first (exit 2)")
    func inspectEveryProblem() throws {
        let weights = try Files.referenceWeights()
        let python = RepositoryPaths.root.appendingPathComponent(".venv/bin/python")
        try #require(FileManager.default.isExecutableFile(atPath: python.path),
                     "\(python.path) is missing: run tools/setup_venv.sh (or tools/prepare.sh)")
        let dir = try Files.temporaryDirectory()
        defer { Files.cleanUp(dir) }
        let damaged = dir.appendingPathComponent("damaged.hdf5")
        // Copy the file itself: `weights` may be a symbolic link (into another checkout), and
        // copyItem copies a link as a link, so h5py would damage the original through it.
        try FileManager.default.copyItem(atPath: URL(fileURLWithPath: weights).resolvingSymlinksInPath().path, toPath: damaged.path)
        let type = try FileManager.default.attributesOfItem(atPath: damaged.path)[.type] as? FileAttributeType
        try #require(type == .typeRegular, "the copy to damage is a file of its own, not a link to \(weights)")
        // A NaN in ResNet50's stem, +Inf in Xception's stem, a head's bias dataset deleted.
        let script = """
        import sys, h5py, numpy as np
        f = h5py.File(sys.argv[1], "r+")
        def names(layer):
            return [n.decode() if isinstance(n, bytes) else n for n in f[layer].attrs["weight_names"]]
        for layer, value in (("res_conv1", np.nan), ("xce_block1_conv1", np.inf)):
            d = f[layer][names(layer)[0]]
            a = d[...]
            a.flat[5] = value
            d[...] = a
        del f["dense_9"][names("dense_9")[1]]
        f.close()
        """
        let process = Process()
        process.executableURL = python
        process.arguments = ["-c", script, damaged.path]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "h5py could not damage the copy")

        let result = try CLI.run(["inspect", damaged.path])
        #expect(result.status == 2, "\(result.summary)")
        let lines = result.stderrLines
        #expect(lines.count == 3, "\(result.summary)")
        #expect(lines.contains { $0.contains("NaN in res_conv1/") }, "\(result.summary)")
        #expect(lines.contains { $0.contains("+Inf in xce_block1_conv1/") }, "\(result.summary)")
        #expect(lines.contains { $0.contains("'dense_9'") && $0.contains("no dataset") }, "\(result.summary)")
        #expect(result.stdout.contains("Keras 2.3.1"), "what can be read is still described")
        #expect(result.stdout.contains("3 problems"))
    }

    @Test("labels that do not fit the weights are a problem (exit 2)")
    func inspectWrongLabels() throws {
        let weights = try Files.referenceWeights()
        let result = try CLI.run(["inspect", "--labels", "A,B,C", weights])
        #expect(result.status == 2, "\(result.summary)")
        #expect(result.stderr.contains("--labels"))
        #expect(result.stdout.contains("48,602,610"), "the file is still described")
    }
}
