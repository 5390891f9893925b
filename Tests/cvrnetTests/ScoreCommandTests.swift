import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

@Suite("cvrnet score")
struct ScoreCommandTests {
    static let heads = ["fused_7x7", "resnet_14x14", "resnet_28x28", "xception_28x28", "xception_14x14"]

    /// A copy of the sample images plus: a corrupt PNG, a nested sub-folder with an image whose
    /// name needs CSV quoting and an upper-case extension, a symlink loop, a hidden file and a
    /// file that is not an image. Returns the directory and the relative paths score must list.
    static func makeSampleTree(at fixedRoot: URL? = nil) throws -> (URL, [String]) {
        let fm = FileManager.default
        let root = try fixedRoot ?? Files.temporaryDirectory("cvrnet-score")
        try fm.createDirectory(at: root, withIntermediateDirectories: true)
        var expected: [String] = []
        for name in try Files.sampleImageNames() {
            try fm.copyItem(atPath: Files.sampleImage(name), toPath: root.appendingPathComponent(name).path)
            expected.append(name)
        }
        try Files.writeCorruptImage(at: root.appendingPathComponent("corrupt.png"))
        expected.append("corrupt.png")
        let deeper = root.appendingPathComponent("nested/deeper")
        try fm.createDirectory(at: deeper, withIntermediateDirectories: true)
        try fm.copyItem(atPath: Files.sampleImage("png-gray8-224x224.png"), toPath: deeper.appendingPathComponent("copy, \"quoted\".PNG").path)
        expected.append("nested/deeper/copy, \"quoted\".PNG")
        try fm.copyItem(atPath: Files.sampleImage("jpeg-gray-448x448.jpg"), toPath: root.appendingPathComponent("nested/UPPER.JPEG").path)
        expected.append("nested/UPPER.JPEG")
        try fm.createSymbolicLink(atPath: deeper.appendingPathComponent("loop").path, withDestinationPath: "../..")
        try fm.createSymbolicLink(atPath: root.appendingPathComponent("nested/self").path, withDestinationPath: ".")
        try Data("notes\n".utf8).write(to: root.appendingPathComponent("nested/readme.txt"))
        try fm.copyItem(atPath: Files.sampleImage("png-gray8-224x224.png"), toPath: root.appendingPathComponent(".hidden.png").path)
        expected.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        return (root, expected)
    }

    static func fnv1a64(_ text: String) -> UInt64 { FNV1a64.hash(text.utf8) }

    /// The original sample image a path in the tree is a copy of.
    static func original(of relativePath: String) -> String {
        switch relativePath {
        case "nested/deeper/copy, \"quoted\".PNG": return "png-gray8-224x224.png"
        case "nested/UPPER.JPEG": return "jpeg-gray-448x448.jpg"
        default: return (relativePath as NSString).lastPathComponent
        }
    }

    /// One uninterrupted `score --scales` of the sample tree, shared by the tests that compare with it.
    struct Reference: @unchecked Sendable {
        let root: URL
        let paths: [String]
        let result: CLI.Result
        let header: [String]
        let rows: [String: [String]]
    }

    static let reference: Result<Reference, Error> = Result {
        let weights = try Files.referenceWeights()
        // Nothing runs after the last test to remove this tree, so it is named after the
        // process and trees left by test processes that have ended are removed here.
        let tmp = FileManager.default.temporaryDirectory
        let prefix = "cvrnet-cli-reference-"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: tmp.path)) ?? [] where name.hasPrefix(prefix) {
            if let pid = Int32(name.dropFirst(prefix.count)), kill(pid, 0) != 0, errno == ESRCH {
                try? FileManager.default.removeItem(at: tmp.appendingPathComponent(name))
            }
        }
        let (root, paths) = try makeSampleTree(at: tmp.appendingPathComponent(prefix + String(getpid())))
        let result = try CLI.run(["score", "--weights", weights, "--scales", root.path])
        let records = CSVTable.parse(result.stdout)
        let header = records.first ?? []
        var rows: [String: [String]] = [:]
        for record in records.dropFirst() { rows[record[0]] = record }
        return Reference(root: root, paths: paths, result: result, header: header, rows: rows)
    }

    @Test("scores every image under the directory once; a corrupt file gets an error row; exit 1")
    func scoreTree() throws {
        let reference = try Self.reference.get()
        let result = reference.result
        #expect(result.status == 1, "\(result.summary)")

        var header = ["path", "label", "p_NCP", "p_NOR"]
        for head in Self.heads { header += ["\(head)_p_NCP", "\(head)_p_NOR"] }
        header.append("error")
        #expect(reference.header == header)

        let records = CSVTable.parse(result.stdout)
        #expect(records.dropFirst().map { $0[0] } == reference.paths, "every file once, sorted by relative path")
        #expect(records.allSatisfy { $0.count == header.count }, "field counts")

        let golden = try KerasGolden.load(weightsFile: Files.defaultWeightsName)
        for path in reference.paths {
            let row = try #require(reference.rows[path])
            if path == "corrupt.png" {
                #expect(row[1...(header.count - 2)].allSatisfy { $0.isEmpty }, "\(row)")
                #expect(!row.last!.isEmpty)
                continue
            }
            #expect(row.last == "", "\(path): \(row)")
            let p = try row[2...3].map { try #require(Float($0)) }
            #expect(abs(p.reduce(0, +) - 1) < 1e-4)
            #expect(row[1] == (p[1] > p[0] ? "NOR" : "NCP"))
            let keras = try #require(golden.images.first { $0.image.hasSuffix("/" + Self.original(of: path)) })
            for (ours, theirs) in zip(p, keras.probabilities) {
                #expect(abs(ours - theirs) < 2e-3, "\(path): cvrnet \(p) vs Keras \(keras.probabilities)")
            }
            for (k, head) in keras.heads.enumerated() {
                let ours = try row[(4 + 2 * k)...(5 + 2 * k)].map { try #require(Float($0)) }
                for (a, b) in zip(ours, head) { #expect(abs(a - b) < 2e-3, "\(path) head \(k + 1)") }
            }
            // A copy scores exactly like its original.
            let original = Self.original(of: path)
            if original != path {
                let originalRow = try #require(reference.rows[original])
                #expect(CSVTable.sameValues([original] + row[1...], originalRow), "\(path) vs \(original)")
            }
        }

        let errorLines = result.stderrLines.filter { $0.contains("corrupt.png") }
        #expect(errorLines.count == 1, "\(result.summary)")
        #expect(result.stderr.contains("scored \(reference.paths.count) images"), "summary line")
        #expect(!result.stderr.contains("Fatal error"))
    }

    @Test("--shard K/3 for K = 1, 2, 3 covers every file exactly once with the same rows (shard 1 as JSON Lines, shard 2 with --threads 2)")
    func shards() throws {
        let reference = try Self.reference.get()
        let weights = try Files.referenceWeights()
        let outDir = try Files.temporaryDirectory()
        defer { Files.cleanUp(outDir) }
        var seen: [String] = []

        // Shard 1 in JSON Lines to --output: the same rows as JSON objects.
        let output = outDir.appendingPathComponent("part-1.jsonl")
        let first = try CLI.run(["score", "--weights", weights, "--scales", "--format", "jsonl", "--shard", "1/3", "-o", output.path, reference.root.path])
        #expect(first.stdout.isEmpty, "rows go to --output")
        let lines = try String(contentsOf: output, encoding: .utf8).split(separator: "\n")
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let file = try #require(object["file"] as? String)
            seen.append(file)
            let row = try #require(reference.rows[file])
            if let error = object["error"] as? String {
                #expect(row.last == error)
                #expect(object["label"] == nil && object["probabilities"] == nil)
            } else {
                #expect(object["label"] as? String == row[1])
                let p = try #require(object["probabilities"] as? [String: Double])
                #expect(CSVTable.close(Float(p["NCP"]!), Float(row[2])) && CSVTable.close(Float(p["NOR"]!), Float(row[3])))
                #expect(object["probability"] as? Double == p[row[1]])
                let heads = try #require(object["heads"] as? [String: [String: Double]])
                for (k, head) in Self.heads.enumerated() {
                    #expect(CSVTable.close(Float(heads[head]!["NCP"]!), Float(row[4 + 2 * k])), "\(file) \(head)")
                }
            }
        }
        #expect(first.status == (seen.contains("corrupt.png") ? 1 : 0), "\(first.summary)")

        // Shard 2 with --threads 2 (images batched side by side): still exactly the same rows.
        for k in 2...3 {
            let threads = k == 2 ? ["--threads", "2"] : []
            let result = try CLI.run(["score", "--weights", weights, "--scales", "--shard", "\(k)/3", reference.root.path] + threads)
            let records = CSVTable.parse(result.stdout)
            #expect(records.first == reference.header)
            for record in records.dropFirst() {
                seen.append(record[0])
                #expect(CSVTable.sameValues(record, reference.rows[record[0]]), "shard \(k): \(record) vs \(reference.rows[record[0]] ?? [])")
            }
            #expect(result.status == (records.contains { $0[0] == "corrupt.png" } ? 1 : 0), "\(result.summary)")
        }
        #expect(seen.sorted() == reference.paths.sorted())
        #expect(Set(seen).count == seen.count, "no file in two shards")
        // The documented rule: FNV-1a-64 of the relative path (UTF-8) mod N == K - 1.
        for path in lines.compactMap({ line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["file"] as? String
        }) {
            #expect(Self.fnv1a64(path) % 3 == 0, "\(path) is in shard 1/3")
        }
        #expect(lines.count > 0 && lines.count < reference.paths.count, "shard 1 holds some files, not all")
    }

    @Test("killed mid-run with SIGKILL, then --resume: every file exactly once, same values as an uninterrupted run")
    func killAndResume() throws {
        // The uninterrupted run is the shared reference run of the sample tree; this test
        // interrupts and resumes a run on a copy of the same tree.
        let reference = try Self.reference.get()
        let weights = try Files.referenceWeights()
        let root = try Files.temporaryDirectory("cvrnet-resume")
        defer { Files.cleanUp(root) }
        let images = root.appendingPathComponent("images")
        let (tree, paths) = try Self.makeSampleTree()
        defer { Files.cleanUp(tree) }
        try FileManager.default.moveItem(at: tree, to: images)
        #expect(paths == reference.paths)
        let output = root.appendingPathComponent("scores.csv")

        // Start, wait for at least one row, kill.
        let running = try CLI.start(["score", "--weights", weights, "--scales", "-o", output.path, images.path])
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline && running.process.isRunning {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            if text.filter({ $0 == "\n" }).count >= 2 { break }  // header + one row
            usleep(10_000)
        }
        try #require(running.process.isRunning, "score finished before it could be interrupted: \(running.result().summary)")
        kill(running.process.processIdentifier, SIGKILL)
        running.process.waitUntilExit()
        _ = running.result()
        #expect(running.process.terminationReason == .uncaughtSignal)

        let interrupted = try String(contentsOf: output, encoding: .utf8)
        let rowsBefore = CSVTable.parse(interrupted).count - 1
        try #require(rowsBefore >= 1 && rowsBefore < paths.count, "\(rowsBefore) of \(paths.count) rows after the kill")
        // Simulate a row cut in the middle by the kill: resume must drop it.
        let handle = try FileHandle(forWritingTo: output)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("png-rgb8-333x287.png,NO".utf8))
        try handle.close()

        let resumed = try CLI.run(["score", "--weights", weights, "--scales", "-o", output.path, "--resume", images.path])
        #expect(resumed.status == 1, "corrupt.png failed, in this run or the interrupted one: \(resumed.summary)")
        #expect(resumed.stderr.contains("incomplete last row"), "\(resumed.summary)")
        #expect(resumed.stderr.contains("\(rowsBefore) of \(paths.count) files already"), "\(resumed.summary)")

        let records = CSVTable.parse(try String(contentsOf: output, encoding: .utf8))
        #expect(records.first == reference.header, "one header")
        let resumedPaths = records.dropFirst().map { $0[0] }
        #expect(resumedPaths.sorted() == paths.sorted(), "every file exactly once")
        #expect(Set(resumedPaths).count == resumedPaths.count)
        for record in records.dropFirst() {
            // Error messages name the file by its full path, which differs between the two trees.
            let normalized = record.map { $0.replacingOccurrences(of: images.path, with: reference.root.path) }
            #expect(CSVTable.sameValues(normalized, reference.rows[record[0]]),
                    "\(record[0]): same values as the uninterrupted run: \(normalized) vs \(reference.rows[record[0]] ?? [])")
        }

        // Resuming a finished file changes nothing.
        let before = try Data(contentsOf: output)
        let again = try CLI.run(["score", "--weights", weights, "--scales", "-o", output.path, "--resume", images.path])
        #expect(again.status == 1, "the corrupt file's row is still an error")
        #expect(try Data(contentsOf: output) == before)
    }

    @Test("--resume with JSON Lines drops a half-written last line and ends as an uninterrupted run")
    func resumeJSONLines() throws {
        let weights = try Files.referenceWeights()
        let root = try Files.temporaryDirectory("cvrnet-resume-jsonl")
        defer { Files.cleanUp(root) }
        let images = root.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        for name in ["png-gray8-224x224.png", "png-rgb8-333x287.png", "jpeg-rgb444-215x227.jpg"] {
            try FileManager.default.copyItem(atPath: Files.sampleImage(name), toPath: images.appendingPathComponent(name).path)
        }
        let full = root.appendingPathComponent("full.jsonl")
        let first = try CLI.run(["score", "--weights", weights, "--format", "jsonl", "-o", full.path, images.path])
        #expect(first.status == 0, "\(first.summary)")
        let complete = try Data(contentsOf: full)
        let lineEnds = complete.enumerated().filter { $0.element == UInt8(ascii: "\n") }.map(\.offset)
        try #require(lineEnds.count == 3)
        let partial = root.appendingPathComponent("partial.jsonl")
        try complete.prefix(lineEnds[0] + 1 + (lineEnds[1] - lineEnds[0]) / 2).write(to: partial)

        let resumed = try CLI.run(["score", "--weights", weights, "--format", "jsonl", "-o", partial.path, "--resume", images.path])
        #expect(resumed.status == 0, "\(resumed.summary)")
        let resumedData = try Data(contentsOf: partial)
        #expect(resumedData.prefix(lineEnds[0] + 1) == complete.prefix(lineEnds[0] + 1), "the complete first line is kept as it was")
        let ours = try Self.jsonRows(resumedData)
        let theirs = try Self.jsonRows(complete)
        #expect(ours.map(\.file) == theirs.map(\.file), "each file once, in order")
        for (a, b) in zip(ours, theirs) {
            #expect(a.label == b.label && a.probabilities.keys == b.probabilities.keys, "\(a.file)")
            for (k, v) in a.probabilities { #expect(CSVTable.close(v, b.probabilities[k]), "\(a.file) \(k)") }
        }

        // A resume with other options than the file was written with is refused.
        let mismatch = try CLI.run(["score", "--weights", weights, "--format", "jsonl", "--scales", "-o", partial.path, "--resume", images.path])
        #expect(mismatch.status == 64, "\(mismatch.summary)")
        #expect(try Data(contentsOf: partial) == resumedData, "a refused resume leaves the file alone")
    }

    /// file, label, probabilities of each line of a JSON Lines output.
    static func jsonRows(_ data: Data) throws -> [(file: String, label: String, probabilities: [String: Float])] {
        try String(decoding: data, as: UTF8.self).split(separator: "\n").map { line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let probabilities = try #require(object["probabilities"] as? [String: Double])
            return (try #require(object["file"] as? String), try #require(object["label"] as? String),
                    probabilities.mapValues { Float($0) })
        }
    }
}

/// RFC 4180 CSV, enough for the tests.
enum CSVTable {
    /// How far two runs' probabilities may differ. The library promises bit-identical results
    /// in every execution mode (one image, batches, threads), so: not at all. Raise this if
    /// that promise is ever relaxed.
    static let tolerance: Float = 0

    static func close(_ a: Float?, _ b: Float?) -> Bool {
        guard let a, let b else { return false }
        return abs(a - b) <= tolerance
    }

    /// Same path, label and error; every probability within `tolerance` (0: equal floats).
    static func sameValues(_ a: [String], _ b: [String]?) -> Bool {
        guard let b, a.count == b.count, a.count >= 3 else { return false }
        if a[0] != b[0] || a[1] != b[1] || a.last != b.last { return false }
        for (x, y) in zip(a[2..<(a.count - 1)], b[2..<(b.count - 1)]) {
            if x.isEmpty && y.isEmpty { continue }
            if !close(Float(x), Float(y)) { return false }
        }
        return true
    }

    static func parse(_ text: String) -> [[String]] {
        var records: [[String]] = []
        var fields: [String] = []
        var field = ""
        var inQuotes = false
        var chars = Array(text)[...]
        while let c = chars.popFirst() {
            if inQuotes {
                if c == "\"" {
                    if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { inQuotes = false }
                } else {
                    field.append(c)
                }
            } else if c == "\"" {
                inQuotes = true
            } else if c == "," {
                fields.append(field); field = ""
            } else if c == "\n" {
                fields.append(field); field = ""
                records.append(fields); fields = []
            } else {
                field.append(c)
            }
        }
        return records  // an unterminated last record is not complete: left out
    }
}
