import Foundation
import Testing
import TestSupport

@Suite("cvrnet classify")
struct ClassifyCommandTests {
    static let image = "png-rgb8-333x287.png"

    @Test("one image: tab-separated line, label among the labels, probabilities sum to 1, Keras's values")
    func classifyOne() throws {
        let weights = try Files.referenceWeights()
        let path = Files.sampleImage(Self.image)
        let result = try CLI.run(["classify", "--weights", weights, path])
        #expect(result.status == 0, "\(result.summary)")
        let lines = result.stdoutLines
        try #require(lines.count == 1, "\(result.summary)")
        let fields = lines[0].split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        try #require(fields.count == 4, "\(lines[0])")
        #expect(fields[0] == path)
        #expect(["NCP", "NOR"].contains(fields[1]))
        let classes = try Self.classProbabilities(fields[3])
        #expect(classes.map(\.0) == ["NCP", "NOR"])
        #expect(abs(classes.map(\.1).reduce(0, +) - 1) < 1e-4)
        let top = try #require(Float(fields[2]))
        #expect(top == classes.map(\.1).max())
        #expect(classes.first { $0.1 == top }?.0 == fields[1])

        // The same numbers as Keras (reference weights, golden outputs of tools/prepare.sh).
        let golden = try KerasGolden.load(weightsFile: Files.defaultWeightsName)
        let keras = try #require(golden.images.first { $0.image.hasSuffix("/" + Self.image) })
        for (ours, theirs) in zip(classes.map(\.1), keras.probabilities) {
            #expect(abs(ours - theirs) < 2e-3, "cvrnet \(classes) vs Keras \(keras.probabilities)")
        }

        // Exactly one line on stderr: the reference weights warning.
        #expect(result.stderrLines.count == 1, "\(result.summary)")
        #expect(result.stderr.contains("reference weights") && result.stderr.contains("no clinical meaning"))
    }

    @Test("--json --scales: one JSON object per image with five heads")
    func classifyJSONScales() throws {
        let weights = try Files.referenceWeights()
        let images = [Files.sampleImage(Self.image), Files.sampleImage("jpeg-gray-448x448.jpg")]
        let result = try CLI.run(["classify", "--weights", weights, "--json", "--scales"] + images)
        #expect(result.status == 0, "\(result.summary)")
        let lines = result.stdoutLines
        try #require(lines.count == 2, "\(result.summary)")
        for (line, path) in zip(lines, images) {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            #expect(object["file"] as? String == path)
            let label = try #require(object["label"] as? String)
            let probabilities = try #require(object["probabilities"] as? [String: Double])
            #expect(Set(probabilities.keys) == ["NCP", "NOR"])
            #expect(probabilities.keys.contains(label))
            #expect(abs(probabilities.values.reduce(0, +) - 1) < 1e-4)
            #expect(object["probability"] as? Double == probabilities[label])
            let heads = try #require(object["heads"] as? [String: [String: Double]])
            #expect(Set(heads.keys) == ["fused_7x7", "resnet_14x14", "resnet_28x28", "xception_28x28", "xception_14x14"])
            var mean: [String: Double] = [:]
            for head in heads.values {
                #expect(abs(head.values.reduce(0, +) - 1) < 1e-4)
                for (k, v) in head { mean[k, default: 0] += v / 5 }
            }
            for (k, v) in probabilities { #expect(abs(mean[k]! - v) < 1e-4, "the prediction is the mean of the heads") }
        }
    }

    @Test("--scales in text mode adds five head fields")
    func classifyTextScales() throws {
        let weights = try Files.referenceWeights()
        let result = try CLI.run(["classify", "--weights", weights, "--scales", Files.sampleImage(Self.image)])
        #expect(result.status == 0, "\(result.summary)")
        let fields = try #require(result.stdoutLines.first).split(separator: "\t").map(String.init)
        try #require(fields.count == 9, "\(fields)")
        #expect(fields[4...].map { String($0.split(separator: " ")[0]) } == ["fused_7x7", "resnet_14x14", "resnet_28x28", "xception_28x28", "xception_14x14"])
        for field in fields[4...] {
            let classes = try Self.classProbabilities(String(field.drop { $0 != " " }.dropFirst()))
            #expect(abs(classes.map(\.1).reduce(0, +) - 1) < 1e-4)
        }
    }

    @Test("a corrupt image among good ones: exit 1, one stderr line for it, the good ones still printed")
    func corruptAmongGood() throws {
        let weights = try Files.referenceWeights()
        let dir = try Files.temporaryDirectory()
        defer { Files.cleanUp(dir) }
        let corrupt = dir.appendingPathComponent("corrupt.png")
        try Files.writeCorruptImage(at: corrupt)
        let good = [Files.sampleImage(Self.image), Files.sampleImage("png-gray8-224x224.png")]
        let result = try CLI.run(["classify", "--weights", weights, good[0], corrupt.path, good[1]])
        #expect(result.status == 1, "\(result.summary)")
        #expect(result.stdoutLines.map { String($0.split(separator: "\t")[0]) } == good)
        let errorLines = result.stderrLines.filter { $0.contains(corrupt.path) }
        #expect(errorLines.count == 1, "\(result.summary)")
        #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("Stack"))

        let json = try CLI.run(["classify", "--weights", weights, "--json", good[0], corrupt.path])
        #expect(json.status == 1)
        let objects = try json.stdoutLines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(objects.count == 2)
        #expect(objects.last?["file"] as? String == corrupt.path)
        #expect((objects.last?["error"] as? String)?.isEmpty == false)
    }

    @Test("notes: 16-bit clipping and an ignored EXIF orientation, one stderr line per image")
    func notes() throws {
        let weights = try Files.referenceWeights()
        let images = ["png-gray16-512x480.png", "jpeg-exif-orientation6-280x220.jpg", "png-gray8-224x224.png"].map(Files.sampleImage)
        let result = try CLI.run(["classify", "--weights", weights] + images)
        #expect(result.status == 0, "\(result.summary)")
        let sixteen = result.stderrLines.filter { $0.contains("png-gray16-512x480.png") }
        #expect(sixteen.count == 1 && sixteen[0].contains("16-bit"), "\(result.summary)")
        let exif = result.stderrLines.filter { $0.contains("jpeg-exif-orientation6-280x220.jpg") }
        #expect(exif.count == 1 && exif[0].contains("EXIF orientation 6"), "\(result.summary)")
        #expect(!result.stderr.contains("png-gray8-224x224.png"))
    }

    @Test("--dump-input writes the Keras input tensor as .npy: numpy loads it and it hashes like Keras's")
    func dumpInput() throws {
        let weights = try Files.referenceWeights()
        let dir = try Files.temporaryDirectory()
        defer { Files.cleanUp(dir) }
        let names = ["png-gray16-interlaced-150x170.png", "jpeg-rgb420-320x360.jpg"]
        let result = try CLI.run(["classify", "--weights", weights, "--dump-input", dir.path] + names.map(Files.sampleImage))
        #expect(result.status == 0, "\(result.summary)")

        let keras = try KerasInputs.load()
        for name in names {
            let npy = dir.appendingPathComponent(name + ".npy")
            let data = try Data(contentsOf: npy)
            // Header: magic, version 1.0, little-endian header length, dict, data 64-aligned.
            #expect(data.prefix(8) == Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0]))
            let headerLength = Int(data[8]) | Int(data[9]) << 8
            #expect((10 + headerLength) % 64 == 0)
            let header = String(decoding: data[10..<(10 + headerLength)], as: UTF8.self)
            #expect(header.contains("'descr': '<f4'") && header.contains("'shape': (224, 224, 3)"))
            let payload = data.dropFirst(10 + headerLength)
            #expect(payload.count == 224 * 224 * 3 * 4)
            let values = payload.withUnsafeBytes { raw in
                (0..<payload.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
            }
            let expected = try #require(keras.images.first { $0.file == name }, "keras-inputs.json lists \(name)")
            #expect(fnv1a64(values) == expected.input_fnv1a64, "\(name): the dumped tensor is Keras's input")
        }

        // NumPy itself reads the files, with the right dtype and shape and the same hash.
        let python = RepositoryPaths.root.appendingPathComponent(".venv/bin/python")
        try #require(FileManager.default.isExecutableFile(atPath: python.path),
                     "\(python.path) is missing: run tools/setup_venv.sh (or tools/prepare.sh)")
        let script = """
        import json, sys
        import numpy as np
        sys.path.insert(0, sys.argv[1])
        from cvrnet_common import fnv1a64
        expected = {i["file"]: i["input_fnv1a64"] for i in json.load(open(sys.argv[2]))["images"]}
        for path in sys.argv[3:]:
            a = np.load(path)
            assert a.dtype == np.dtype("<f4") and a.shape == (224, 224, 3), (a.dtype, a.shape)
            h = fnv1a64(a)
            name = path.rsplit("/", 1)[-1][:-4]
            assert h == expected[name], (name, h, expected[name])
        print("ok")
        """
        let process = Process()
        process.executableURL = python
        process.arguments = ["-c", script, RepositoryPaths.root.appendingPathComponent("tools").path,
                             RepositoryPaths.sampleImages.appendingPathComponent("keras-inputs.json").path]
            + names.map { dir.appendingPathComponent($0 + ".npy").path }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0 && output.contains("ok"), "\(output)")
    }

    @Test("the default weights are found from the executable's location, from any directory")
    func defaultWeightsFromExecutable() throws {
        _ = try Files.referenceWeights()
        let elsewhere = try Files.temporaryDirectory()
        defer { Files.cleanUp(elsewhere) }
        let result = try CLI.run(["classify", Files.sampleImage("png-gray8-224x224.png")], in: elsewhere)
        #expect(result.status == 0, "\(result.summary)")
        #expect(result.stdoutLines.count == 1)
    }

    @Test("a labels sidecar next to the weights names the classes")
    func labelsSidecar() throws {
        let weights = try Files.referenceWeights()
        let dir = try Files.temporaryDirectory()
        defer { Files.cleanUp(dir) }
        let link = dir.appendingPathComponent("model.hdf5")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: weights)
        try Data(#"{"labels": ["covid", "normal"]}"#.utf8).write(to: URL(fileURLWithPath: link.path + ".labels.json"))
        let result = try CLI.run(["classify", "--weights", link.path, Files.sampleImage(Self.image)])
        #expect(result.status == 0, "\(result.summary)")
        #expect(result.stdout.contains("covid=") && result.stdout.contains("normal="))

        try Data(#"["a", "b", "c"]"#.utf8).write(to: URL(fileURLWithPath: link.path + ".labels.json"))
        let wrong = try CLI.run(["classify", "--weights", link.path, Files.sampleImage(Self.image)])
        #expect(wrong.status == 2, "\(wrong.summary)")
        #expect(wrong.stderr.contains(".labels.json"))
    }

    @Test("--threads: any count prints the very same lines; below 1 is a usage error")
    func threadsOption() throws {
        let weights = try Files.referenceWeights()
        let images = [Files.sampleImage(Self.image), Files.sampleImage("jpeg-gray-448x448.jpg")]
        let arguments = ["classify", "--weights", weights, "--json", "--scales"] + images
        let reference = try CLI.run(arguments)
        #expect(reference.status == 0, "\(reference.summary)")
        for threads in ["1", "3"] {
            let result = try CLI.run(arguments + ["--threads", threads])
            #expect(result.status == 0, "\(result.summary)")
            #expect(result.stdout == reference.stdout, "--threads \(threads)")
        }
        let zero = try CLI.run(arguments + ["--threads", "0"])
        #expect(zero.status == 64, "\(zero.summary)")
        #expect(zero.stderr.contains("--threads"))
    }

    /// "NCP=0.1 NOR=0.9" -> [("NCP", 0.1), ("NOR", 0.9)]
    static func classProbabilities(_ field: String) throws -> [(String, Float)] {
        try field.split(separator: " ").map { pair in
            let parts = pair.split(separator: "=")
            try #require(parts.count == 2, "\(pair)")
            return (String(parts[0]), try #require(Float(parts[1])))
        }
    }
}
