import Foundation
import Testing
import TestSupport

/// `cvrnet evaluate` end to end: a labelled folder of symbolic links to the sample images,
/// the reference weights, and scikit-learn (tools/check_evaluation.py) recomputing every
/// metric from the probabilities `cvrnet score` writes for the same folder.
///
/// Labels are assigned round-robin over the sorted sample images (image i goes to class
/// i mod C), so every class has positives and negatives; the reference weights are untrained,
/// so the metrics are mediocre but not degenerate.
@Suite(.serialized)
struct EvaluateCommandTests {
    /// DIR/<class>/<sample image> symlinks; returns the folder.
    static func labelledFolder(in root: URL, classes: [String]) throws -> URL {
        let folder = root.appendingPathComponent("test-set")
        for name in classes {
            try FileManager.default.createDirectory(at: folder.appendingPathComponent(name), withIntermediateDirectories: true)
        }
        for (i, image) in try Files.sampleImageNames().enumerated() {
            try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent(classes[i % classes.count] + "/" + image).path,
                                                       withDestinationPath: Files.sampleImage(image))
        }
        return folder
    }

    static func python(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let python = RepositoryPaths.root.appendingPathComponent(".venv/bin/python")
        try #require(FileManager.default.isExecutableFile(atPath: python.path), "\(python.path) is missing: run tools/setup_venv.sh (or tools/prepare.sh)")
        let process = Process()
        process.executableURL = python
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    static let checker = RepositoryPaths.root.appendingPathComponent("tools/check_evaluation.py").path

    @Test func threeClassesMatchScikitLearnAndTheReportRenders() throws {
        let root = try Files.temporaryDirectory("cvrnet-evaluate")
        defer { Files.cleanUp(root) }
        let weights = try Files.referenceWeights("reference-3class-tfkeras-model.h5")
        let folder = try Self.labelledFolder(in: root, classes: ["CPN", "NCP", "NOR"])
        let report = root.appendingPathComponent("report.html")
        let json = root.appendingPathComponent("metrics.json")
        let predictions = root.appendingPathComponent("predictions.csv")

        let run = try CLI.run(["evaluate", folder.path, "--weights", weights, "--bootstrap", "200", "--threads", "2",
                               "--report", report.path, "--json", json.path, "--predictions", predictions.path])
        #expect(run.status == 0, "\(run.summary)")
        #expect(run.stdout.contains("untrained reference weights"), "the text report says the weights mean nothing")
        #expect(run.stdout.contains("   macro avg "), "classification_report layout")
        #expect(run.stdout.contains("xception_14x14"), "per-head table")
        for file in [report, json, predictions] {
            var isDirectory: ObjCBool = true
            #expect(FileManager.default.fileExists(atPath: file.path, isDirectory: &isDirectory) && !isDirectory.boolValue, "\(file.lastPathComponent) written as a file")
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: root.path).filter { $0.contains(".partial") }
        #expect(leftovers.isEmpty, "no temporary files left: \(leftovers)")

        // scikit-learn on the probabilities `cvrnet score` writes for the same folder.
        let scores = root.appendingPathComponent("scores.csv")
        let score = try CLI.run(["score", folder.path, "--weights", weights, "--scales", "-o", scores.path])
        #expect(score.status == 0, "\(score.summary)")
        let check = try Self.python([Self.checker, json.path, scores.path])
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("every metric within"), "\(check.output)")
        print(check.output)

        // Self-contained: no scripts, nothing fetched from the network or another file.
        let html = try String(contentsOf: report, encoding: .utf8)
        #expect(!html.contains("<script"))
        // (The SVG namespace is a name, never fetched.)
        let linked = html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "")
        #expect(!linked.contains("http://") && !linked.contains("https://") && !html.contains("url(") && !html.contains("<link"))
        let sources = html.components(separatedBy: "src=\"").dropFirst()
        #expect(!sources.isEmpty && sources.allSatisfy { $0.hasPrefix("data:image/") }, "every image inline as a data: URI")
        #expect(html.contains("UNTRAINED reference weights"))
        #expect(html.components(separatedBy: "<svg").count - 1 == 4, "ROC, PR, confusion matrix and per-head ROC charts")

        // Every misclassified image (the JSON's predictions against its truth) has a row with
        // its thumbnail and its Grad-CAM overlay, a PNG that decodes to the overlay's width.
        let metrics = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any])
        let truth = try #require(metrics["truth"] as? [Int])
        let models = try #require(metrics["models"] as? [[String: Any]])
        let predicted = try #require((models[0]["averaged"] as? [String: Any])?["predicted"] as? [Int])
        let wrong = zip(predicted, truth).filter { $0 != $1 }.count
        #expect(wrong > 0, "the untrained weights get some images wrong")
        #expect(html.contains("Misclassified images (\(wrong))"))
        let rows = html.components(separatedBy: "<tr class=\"miss\">").dropFirst()
        #expect(rows.count == wrong)
        for row in rows {
            let cell = row.components(separatedBy: "</td>")[0]
            #expect(cell.contains("<img class=\"thumb\""), "thumbnail in \(cell.prefix(200))")
            let overlay = try #require(cell.components(separatedBy: "<img class=\"gradcam\"").dropFirst().first, "Grad-CAM overlay in \(cell.prefix(200))")
            let base64 = try #require(overlay.components(separatedBy: "data:image/png;base64,").dropFirst().first?.components(separatedBy: "\"").first)
            let png = try #require(Data(base64Encoded: base64))
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
            let width = png.subdata(in: 16..<20).reduce(0) { $0 << 8 | Int($1) }
            #expect(width == 160, "overlay width from the PNG header")
        }
        let csv = try String(contentsOf: predictions, encoding: .utf8)
        #expect(csv.hasPrefix("path,true,predicted,correct,confidence,p_CPN,p_NCP,p_NOR\n"))
        let imageCount = try Files.sampleImageNames().count
        #expect(csv.split(separator: "\n").count == 1 + imageCount)

        // A real browser renders it, to a screenshot and to PDF.
        let png = root.appendingPathComponent("report.png"), pdf = root.appendingPathComponent("report.pdf")
        let render = Process()
        render.executableURL = URL(fileURLWithPath: "/bin/bash")
        render.arguments = [RepositoryPaths.root.appendingPathComponent("tools/render_report.sh").path,
                            report.path, png.path, pdf.path]
        try render.run()
        render.waitUntilExit()
        #expect(render.terminationStatus == 0, "tools/render_report.sh (needs chromium: tools/install_system_packages.sh)")
        let pngBytes = try Data(contentsOf: png)
        #expect(pngBytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) && pngBytes.count > 20_000, "a screenshot with something on it")
        #expect(try Data(contentsOf: pdf).starts(with: Array("%PDF".utf8)))
    }

    @Test func twoFoldsAndTheirEnsembleMatchScikitLearn() throws {
        let root = try Files.temporaryDirectory("cvrnet-evaluate-folds")
        defer { Files.cleanUp(root) }
        let weights = [try Files.referenceWeights("reference-2class-keras231-weights.hdf5"),
                       try Files.referenceWeights("reference-2class-tfkeras-weights.hdf5")]
        let folder = try Self.labelledFolder(in: root, classes: ["NCP", "NOR"])
        let json = root.appendingPathComponent("metrics.json")
        let report = root.appendingPathComponent("folds.html")
        let run = try CLI.run(["evaluate", folder.path, "--weights", weights[0], "--weights", weights[1],
                               "--bootstrap", "200", "--threads", "2", "--json", json.path, "--report", report.path])
        #expect(run.status == 0, "\(run.summary)")
        // An ensemble has no Grad-CAM of its own: plain thumbnails, and the page says why.
        let html = try String(contentsOf: report, encoding: .utf8)
        #expect(!html.contains("class=\"gradcam\"") && html.contains("No Grad-CAM overlays"))
        #expect(run.stdout.contains("mean ± std"), "fold summary")
        #expect(run.stdout.contains("ensemble"), "ensemble row")
        var csvs: [String] = []
        for (m, w) in weights.enumerated() {
            let scores = root.appendingPathComponent("scores-\(m).csv")
            let score = try CLI.run(["score", folder.path, "--weights", w, "--scales", "-o", scores.path])
            #expect(score.status == 0, "\(score.summary)")
            csvs.append(scores.path)
        }
        let check = try Self.python([Self.checker, json.path] + csvs)
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("2 model(s)"), "\(check.output)")
        print(check.output)
    }

    @Test func badInputGetsOneLineAndTheReportStillCounts() throws {
        let root = try Files.temporaryDirectory("cvrnet-evaluate-errors")
        defer { Files.cleanUp(root) }
        let weights = try Files.referenceWeights()

        // Folder classes that are not the model's labels.
        let wrong = root.appendingPathComponent("wrong")
        for name in ["cats", "dogs"] {
            try FileManager.default.createDirectory(at: wrong.appendingPathComponent(name), withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: wrong.appendingPathComponent(name + "/a.png").path,
                                                       withDestinationPath: Files.sampleImage("png-gray8-224x224.png"))
        }
        let mismatch = try CLI.run(["evaluate", wrong.path, "--weights", weights])
        #expect(mismatch.status == 2, "\(mismatch.summary)")
        #expect(mismatch.stderrLines.contains { $0.contains("cats, dogs") && $0.contains("NCP, NOR") }, "\(mismatch.summary)")
        #expect(!mismatch.stderr.contains("Fatal error"))

        // No class folders.
        let empty = root.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let none = try CLI.run(["evaluate", empty.path, "--weights", weights])
        #expect(none.status == 66, "\(none.summary)")
        #expect(none.stderrLines.count == 1, "\(none.summary)")

        // A corrupt image is named, left out, and the report is still written (exit 1).
        let folder = try Self.labelledFolder(in: root, classes: ["NCP", "NOR"])
        try Files.writeCorruptImage(at: folder.appendingPathComponent("NOR/broken.png"))
        let report = root.appendingPathComponent("report.html")
        let predictions = root.appendingPathComponent("predictions.csv")
        let run = try CLI.run(["evaluate", folder.path, "--weights", weights, "--bootstrap", "0", "--report", report.path,
                               "--predictions", predictions.path])
        #expect(run.status == 1, "\(run.summary)")
        #expect(run.stderrLines.contains { $0.contains("broken.png") }, "\(run.summary)")
        #expect(run.stdout.contains("1 failed and are left out"), "\(run.summary)")
        #expect(try String(contentsOf: report, encoding: .utf8).contains("Images that failed (1)"))
        let csv = try String(contentsOf: predictions, encoding: .utf8)
        let imageCount = try Files.sampleImageNames().count
        #expect(!csv.contains("broken.png") && csv.split(separator: "\n").count == 1 + imageCount)

        // An existing report is not replaced without --overwrite, and replaced with it.
        let before = try Data(contentsOf: report)
        let again = try CLI.run(["evaluate", folder.path, "--weights", weights, "--report", report.path])
        #expect(again.status == 64, "\(again.summary)")
        #expect(try Data(contentsOf: report) == before)
        let replaced = try CLI.run(["evaluate", folder.path, "--weights", weights, "--bootstrap", "0", "--report", report.path, "--overwrite"])
        #expect(replaced.status == 1, "\(replaced.summary)")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: root.path).filter { $0.contains(".partial") }
        #expect(leftovers.isEmpty, "no temporary files left: \(leftovers)")
    }
}
