import Foundation

/// What an earlier, interrupted `score` run left in its output file (`--resume`).
struct ResumeState {
    /// Paths that already have a row (scored or failed).
    var donePaths: Set<String> = []
    /// Of those, the ones whose row is an error row.
    var failedPaths: Set<String> = []
    /// Whether the file already starts with the header (CSV).
    var hasHeader = false
    /// Bytes at the end of the file that belonged to an incomplete row and were cut off.
    var droppedBytes = 0

    struct Incompatible: Error {
        let message: String
        /// `.usage` when the file is not a compatible output, `.ioError` when it cannot be read or cut.
        var status: ExitStatus = .usage
    }

    /// Reads `path`, checks that it was written with the same format, labels, `--scales` and
    /// models (JSON Lines: the same `--weights` paths; CSV: as many, by its columns),
    /// and truncates it after its last complete row. A missing file is an empty state.
    static func load(path: String, formatter: ResultFormatter) throws(Incompatible) -> ResumeState {
        guard FileManager.default.fileExists(atPath: path) else { return ResumeState() }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Incompatible(message: "cannot read output file '\(path)' to resume", status: .ioError)
        }
        let bytes = [UInt8](data)
        var state = ResumeState()
        let keep: Int
        switch formatter.style {
        case .csv:
            let records = CSV.parse(bytes)
            keep = records.last?.end ?? 0
            if let header = records.first {
                let expected = formatter.csvHeaderFields
                guard header.fields == expected else {
                    throw Incompatible(message: "'\(path)' has the columns \(header.fields.joined(separator: ",")) but this run writes \(expected.joined(separator: ",")); resume with the same --labels/--scales/--format and as many --weights, or use --overwrite")
                }
                state.hasHeader = true
                for (number, record) in records.dropFirst().enumerated() {
                    guard record.fields.count == expected.count, let file = record.fields.first, !file.isEmpty else {
                        throw Incompatible(message: "'\(path)' row \(number + 2) has \(record.fields.count) fields, expected \(expected.count): not a cvrnet score output; use --overwrite to replace it")
                    }
                    state.donePaths.insert(file)
                    if !(record.fields.last ?? "").isEmpty { state.failedPaths.insert(file) }
                }
            }
        case .jsonl:
            var start = 0
            var lastEnd = 0
            var number = 0
            let labels = Set(formatter.labels)
            for (i, b) in bytes.enumerated() where b == UInt8(ascii: "\n") {
                number += 1
                defer { start = i + 1; lastEnd = i + 1 }
                let line = Data(bytes[start..<i])
                if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) { continue }
                guard let object = (try? JSONSerialization.jsonObject(with: line)) as? [String: Any],
                      let file = object["file"] as? String else {
                    throw Incompatible(message: "'\(path)' line \(number) is not a JSON object with a \"file\" key: not a cvrnet score output; use --overwrite to replace it")
                }
                if object["error"] != nil {
                    state.failedPaths.insert(file)
                } else {
                    let classes = (object["probabilities"] as? [String: Any]).map { Set($0.keys) }
                    guard classes == labels, (object["heads"] != nil) == formatter.scales else {
                        throw Incompatible(message: "'\(path)' line \(number) was written with other labels or --scales than this run; resume with the same options, or use --overwrite")
                    }
                    // An ensemble's lines name its models; one model's have no "models".
                    let models = (object["models"] as? [[String: Any]])?.map { $0["weights"] as? String ?? "" } ?? []
                    guard models == (formatter.models.count > 1 ? formatter.models : []) else {
                        throw Incompatible(message: "'\(path)' line \(number) was written by other --weights than this run (\(models.isEmpty ? "one model" : models.joined(separator: ", "))); resume with the same --weights, or use --overwrite")
                    }
                }
                state.donePaths.insert(file)
            }
            keep = lastEnd
        case .text:
            keep = bytes.count
        }
        if keep < bytes.count {
            guard truncate(path, off_t(keep)) == 0 else {
                throw Incompatible(message: "cannot cut the incomplete last row off '\(path)': \(String(cString: strerror(errno)))", status: .ioError)
            }
            state.droppedBytes = bytes.count - keep
        }
        return state
    }
}
