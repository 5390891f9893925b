import Foundation
import Testing
import TestSupport

/// `--weights` given several times in `classify` and `score`: an ensemble of the two 2-class
/// reference weights files, checked against single-model runs of the same CLI and against the
/// Keras golden outputs of both files.
@Suite("cvrnet classify/score with an ensemble (--weights repeated)")
struct EnsembleTests {
    static let weightsNames = ["reference-2class-keras231-weights.hdf5", "reference-2class-tfkeras-weights.hdf5"]
    static let images = ["png-rgb8-333x287.png", "jpeg-gray-448x448.jpg", "png-gray8-224x224.png"]
    static let heads = ["fused_7x7", "resnet_14x14", "resnet_28x28", "xception_28x28", "xception_14x14"]

    /// The ensemble rule, as the single runs' printed numbers give it: the mean, in Double, of
    /// the models' float32 probabilities, rounded to float32 once.
    static func mean(_ values: [Float]) -> Float {
        Float(values.reduce(0.0) { $0 + Double($1) } / Double(values.count))
    }

    /// A fresh temporary directory holding copies of the named sample images.
    static func imageFolder(_ label: String, _ names: [String]) throws -> URL {
        let folder = try Files.temporaryDirectory(label)
        for name in names {
            try FileManager.default.copyItem(atPath: Files.sampleImage(name), toPath: folder.appendingPathComponent(name).path)
        }
        return folder
    }

    static func object(_ line: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
    }

    /// Label -> float32 from a JSON object of probabilities (shortest float32 decimals).
    static func floats(_ value: Any?) throws -> [String: Float] {
        try #require(value as? [String: Double], "\(String(describing: value))").mapValues { Float($0) }
    }

    @Test("classify --json --scales: the ensemble is the mean of the single runs, each model's values equal its single run, Keras's mean within 1e-4")
    func classifyEnsemble() throws {
        let weights = try Self.weightsNames.map { try Files.referenceWeights($0) }
        let paths = Self.images.map(Files.sampleImage)
        let singles = try weights.map { w in
            let run = try CLI.run(["classify", "--weights", w, "--json", "--scales"] + paths)
            #expect(run.status == 0, "\(run.summary)")
            return try run.stdoutLines.map(Self.object)
        }
        let ensemble = try CLI.run(["classify", "--weights", weights[0], "--weights", weights[1], "--json", "--scales"] + paths)
        #expect(ensemble.status == 0, "\(ensemble.summary)")
        #expect(ensemble.stderrLines.filter { $0.contains("no clinical meaning") }.count == 2,
                "one reference-weights warning per model: \(ensemble.summary)")
        let lines = try ensemble.stdoutLines.map(Self.object)
        try #require(lines.count == paths.count && singles.allSatisfy { $0.count == paths.count }, "\(ensemble.summary)")

        let goldens = try Self.weightsNames.map { try KerasGolden.load(weightsFile: $0) }
        var largestKerasDifference: Float = 0
        for (i, line) in lines.enumerated() {
            #expect(line["file"] as? String == paths[i])
            let models = try #require(line["models"] as? [[String: Any]], "\(line)")
            try #require(models.count == 2)
            #expect(models.map { $0["weights"] as? String } == weights)
            // Each model's values: exactly those of its own run.
            for (m, model) in models.enumerated() {
                #expect(try Self.floats(model["probabilities"]) == Self.floats(singles[m][i]["probabilities"]), "model \(m + 1) \(paths[i])")
                let ours = try #require(model["heads"] as? [String: Any])
                let theirs = try #require(singles[m][i]["heads"] as? [String: Any])
                #expect(Set(ours.keys) == Set(Self.heads))
                for head in Self.heads {
                    #expect(try Self.floats(ours[head]) == Self.floats(theirs[head]), "model \(m + 1) \(head) \(paths[i])")
                }
            }
            // The ensemble: the mean of the single runs, class by class and head by head.
            let probabilities = try Self.floats(line["probabilities"])
            for label in ["NCP", "NOR"] {
                let expected = Self.mean(try singles.map { try #require(try Self.floats($0[i]["probabilities"])[label]) })
                #expect(probabilities[label] == expected, "\(paths[i]) \(label)")
            }
            let heads = try #require(line["heads"] as? [String: Any])
            for head in Self.heads {
                let ours = try Self.floats(heads[head])
                for label in ["NCP", "NOR"] {
                    let expected = Self.mean(try singles.map {
                        try #require(try Self.floats(($0[i]["heads"] as? [String: Any])?[head])[label])
                    })
                    #expect(ours[label] == expected, "\(paths[i]) \(head) \(label)")
                }
            }
            let top = probabilities["NOR"]! > probabilities["NCP"]! ? "NOR" : "NCP"
            #expect(line["label"] as? String == top)
            #expect((line["probability"] as? Double).map(Float.init) == probabilities[top])

            // Keras: the mean of both files' golden probabilities. Each model is within the
            // parity tolerance 1e-4 of its Keras output (KerasParityTests), so their mean is too.
            let keras = try goldens.map { g in try #require(g.images.first { $0.image.hasSuffix("/" + Self.images[i]) }) }
            for (k, label) in ["NCP", "NOR"].enumerated() {
                let difference = abs(probabilities[label]! - Self.mean(keras.map { $0.probabilities[k] }))
                largestKerasDifference = max(largestKerasDifference, difference)
                #expect(difference <= 1e-4, "\(paths[i]) \(label): ensemble vs Keras mean off by \(difference)")
            }
        }
        print("ensemble vs mean of Keras goldens: largest difference \(largestKerasDifference)")
    }

    @Test("models with different classes: one line naming both files, exit 2, nothing printed")
    func mismatchedClasses() throws {
        let two = try Files.referenceWeights(Self.weightsNames[0])
        let three = try Files.referenceWeights("reference-3class-tfkeras-model.h5")
        let root = try Self.imageFolder("cvrnet-ensemble-mismatch", Array(Self.images.prefix(1)))
        defer { Files.cleanUp(root) }
        for command in [["classify", Files.sampleImage(Self.images[0])], ["score", root.path]] {
            let run = try CLI.run([command[0], "--weights", two, "--weights", three, command[1]])
            #expect(run.status == 2, "\(run.summary)")
            #expect(run.stdout.isEmpty, "\(run.summary)")
            try #require(run.stderrLines.count == 1, "\(run.summary)")
            #expect(run.stderrLines[0].contains(two) && run.stderrLines[0].contains(three), "\(run.stderrLines[0])")
            #expect(run.stderrLines[0].contains("same classes"), "\(run.stderrLines[0])")
        }
    }

    @Test("score CSV: ensemble columns plus m<k>_p_<label>, each model's equal to its single run; --resume continues it")
    func scoreCSVAndResume() throws {
        let weights = try Self.weightsNames.map { try Files.referenceWeights($0) }
        let root = try Files.temporaryDirectory("cvrnet-ensemble")
        defer { Files.cleanUp(root) }
        let images = try Self.imageFolder("cvrnet-ensemble-images", Self.images)
        defer { Files.cleanUp(images) }
        let singles = try weights.map { w in
            let run = try CLI.run(["score", "--weights", w, "--scales", images.path])
            #expect(run.status == 0, "\(run.summary)")
            return CSVTable.parse(run.stdout)
        }
        let full = root.appendingPathComponent("full.csv")
        let ensembleArguments = ["score", "--weights", weights[0], "--weights", weights[1], "--scales"]
        let run = try CLI.run(ensembleArguments + ["-o", full.path, images.path])
        #expect(run.status == 0, "\(run.summary)")
        let complete = try Data(contentsOf: full)
        let records = CSVTable.parse(String(decoding: complete, as: UTF8.self))

        var header = ["path", "label", "p_NCP", "p_NOR"]
        for head in Self.heads { header += ["\(head)_p_NCP", "\(head)_p_NOR"] }
        let singleHeader = header + ["error"]
        header += ["m1_p_NCP", "m1_p_NOR", "m2_p_NCP", "m2_p_NOR", "error"]
        #expect(records.first == header)
        #expect(singles.allSatisfy { $0.first == singleHeader }, "one model: the columns as before")
        try #require(records.count == Self.images.count + 1 && singles.allSatisfy { $0.count == records.count })
        for r in 1..<records.count {
            let row = records[r]
            try #require(row.count == header.count, "\(row)")
            #expect(singles.allSatisfy { $0[r][0] == row[0] })
            // Per model: exactly the single run's p_ fields.
            #expect(Array(row[(header.count - 5)...(header.count - 4)]) == Array(singles[0][r][2...3]), "\(row[0]) m1")
            #expect(Array(row[(header.count - 3)...(header.count - 2)]) == Array(singles[1][r][2...3]), "\(row[0]) m2")
            // Ensemble columns (averaged and heads): the mean of the single runs.
            for column in 2..<(singleHeader.count - 1) {
                let expected = Self.mean(try singles.map { try #require(Float($0[r][column])) })
                #expect(Float(row[column]) == expected, "\(row[0]) \(header[column])")
            }
            #expect(row.last == "")
        }

        // Interrupted after the first row and half of the second: --resume ends as the full run.
        let lineEnds = complete.enumerated().filter { $0.element == UInt8(ascii: "\n") }.map(\.offset)
        let partial = root.appendingPathComponent("partial.csv")
        try complete.prefix(lineEnds[1] + 1 + (lineEnds[2] - lineEnds[1]) / 2).write(to: partial)
        let resumed = try CLI.run(ensembleArguments + ["-o", partial.path, "--resume", images.path])
        #expect(resumed.status == 0, "\(resumed.summary)")
        #expect(resumed.stderr.contains("incomplete last row") && resumed.stderr.contains("1 of \(Self.images.count) files already"), "\(resumed.summary)")
        #expect(try Data(contentsOf: partial) == complete, "the resumed file equals the uninterrupted run's")

        // Resuming an ensemble's file with one model (other columns) is refused and leaves it alone.
        let single = try CLI.run(["score", "--weights", weights[0], "--scales", "-o", partial.path, "--resume", images.path])
        #expect(single.status == 64, "\(single.summary)")
        #expect(try Data(contentsOf: partial) == complete)
    }

    @Test("score --format jsonl: \"models\" per line; --resume continues it and refuses other --weights")
    func scoreJSONLinesResume() throws {
        let weights = try Self.weightsNames.map { try Files.referenceWeights($0) }
        let root = try Files.temporaryDirectory("cvrnet-ensemble-jsonl")
        defer { Files.cleanUp(root) }
        let images = try Self.imageFolder("cvrnet-ensemble-jsonl-images", Self.images)
        defer { Files.cleanUp(images) }
        let arguments = ["score", "--weights", weights[0], "--weights", weights[1], "--format", "jsonl"]
        let full = root.appendingPathComponent("full.jsonl")
        let run = try CLI.run(arguments + ["-o", full.path, images.path])
        #expect(run.status == 0, "\(run.summary)")
        let complete = try Data(contentsOf: full)
        let lines = try String(decoding: complete, as: UTF8.self).split(separator: "\n").map { try Self.object(String($0)) }
        try #require(lines.count == Self.images.count)
        for line in lines {
            let models = try #require(line["models"] as? [[String: Any]])
            #expect(models.map { $0["weights"] as? String } == weights)
            #expect(models.allSatisfy { $0["heads"] == nil }, "heads only with --scales")
            let probabilities = try Self.floats(line["probabilities"])
            for label in ["NCP", "NOR"] {
                #expect(probabilities[label] == Self.mean(try models.map { try #require(try Self.floats($0["probabilities"])[label]) }))
            }
        }
        let lineEnds = complete.enumerated().filter { $0.element == UInt8(ascii: "\n") }.map(\.offset)
        let partial = root.appendingPathComponent("partial.jsonl")
        try complete.prefix(lineEnds[0] + 1 + (lineEnds[1] - lineEnds[0]) / 2).write(to: partial)
        let resumed = try CLI.run(arguments + ["-o", partial.path, "--resume", images.path])
        #expect(resumed.status == 0, "\(resumed.summary)")
        #expect(try Data(contentsOf: partial) == complete, "the resumed file equals the uninterrupted run's")

        let reversed = try CLI.run(["score", "--weights", weights[1], "--weights", weights[0], "--format", "jsonl",
                                    "-o", partial.path, "--resume", images.path])
        #expect(reversed.status == 64, "\(reversed.summary)")
        #expect(reversed.stderr.contains("other --weights"), "\(reversed.summary)")
        #expect(try Data(contentsOf: partial) == complete)
    }

    @Test("commands that take one model refuse --weights given twice")
    func oneModelCommands() throws {
        let weights = try Files.referenceWeights(Self.weightsNames[0])
        let inspect = try CLI.run(["inspect", "--weights", weights, "--weights", weights])
        #expect(inspect.status == 64, "\(inspect.summary)")
        let root = try Self.imageFolder("cvrnet-ensemble-heatmaps", Array(Self.images.prefix(1)))
        defer { Files.cleanUp(root) }
        let heatmaps = try CLI.run(["score", "--weights", weights, "--weights", weights,
                                    "--heatmaps", root.appendingPathComponent("maps").path, root.path])
        #expect(heatmaps.status == 64 && heatmaps.stderrLines.count == 1, "\(heatmaps.summary)")
    }
}
