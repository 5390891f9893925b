import ArgumentParser
import CVRNet
import ImageInput
import Foundation

/// Output formats of `score` (classify has its own text format plus `--json`).
enum OutputFormat: String, CaseIterable, ExpressibleByArgument {
    case csv, jsonl
}

/// Turns predictions into lines of text: the tab-separated text of `classify`, CSV and JSON
/// Lines. Every line ends with "\n" and is meant to be written with one `write` call.
struct ResultFormatter {
    enum Style { case text, csv, jsonl }

    let style: Style
    let labels: [String]
    let scales: Bool
    /// The weights paths of an ensemble's models, in `--weights` order; empty for one model
    /// (whose output has no per-model parts: exactly what it was before ensembles existed).
    var models: [String] = []

    /// Whether lines carry each model's probabilities too.
    private var isEnsemble: Bool { models.count > 1 }

    // MARK: Columns

    /// CSV header fields: path,label,p_<label>...,[<head>_p_<label>...],error.
    var csvHeaderFields: [String] {
        var fields = ["path", "label"] + labels.map { "p_" + $0 }
        if scales {
            for head in HeadScale.allCases {
                fields += labels.map { head.identifier + "_p_" + $0 }
            }
        }
        // An ensemble adds each model's averaged output, m1_ for the first --weights, ...
        // (each model's heads only in JSON: 5 x classes columns per model would swamp the CSV).
        if isEnsemble {
            for k in models.indices { fields += labels.map { "m\(k + 1)_p_" + $0 } }
        }
        return fields + ["error"]
    }

    /// The header line (CSV only).
    var header: String? {
        style == .csv ? CSV.line(csvHeaderFields) : nil
    }

    // MARK: Rows

    /// The line for one image. For `.text`, failures give nil (they go to stderr only).
    /// `dicom`: what the DICOM display pipeline did, written as a "dicom" member in JSON
    /// Lines so a result can be audited (window, inversion, frame).
    /// `modelPredictions`: with an ensemble, each model's prediction (`models` order); the
    /// text format shows only the ensemble's.
    func line(path: String, result: Result<Prediction, ImageFailure>, dicom: DICOMRendering? = nil,
              modelPredictions: [Prediction] = []) -> String? {
        precondition(!isEnsemble || (try? result.get()) == nil || modelPredictions.count == models.count)
        switch (style, result) {
        case (.text, .success(let p)): return textLine(path: path, p)
        case (.text, .failure): return nil
        case (.csv, .success(let p)): return csvLine(path: path, p, modelPredictions)
        case (.csv, .failure(let f)):
            var fields = [path] + Array(repeating: "", count: csvHeaderFields.count - 2)
            fields.append(f.message)
            return CSV.line(fields)
        case (.jsonl, .success(let p)): return jsonLine(path: path, p, dicom: dicom, modelPredictions)
        case (.jsonl, .failure(let f)):
            return JSON.object([("file", JSON.string(path)), ("error", JSON.string(f.message))]) + "\n"
        }
    }

    private func textLine(path: String, _ p: Prediction) -> String {
        func classes(_ values: [Float]) -> String {
            zip(labels, values).map { "\($0)=\(Number.fixed($1))" }.joined(separator: " ")
        }
        var fields = [path, p.topLabel, Number.fixed(p.topProbability), classes(p.probabilities)]
        if scales {
            fields += p.heads.map { $0.scale.identifier + " " + classes($0.probabilities) }
        }
        return fields.joined(separator: "\t") + "\n"
    }

    private func csvLine(path: String, _ p: Prediction, _ each: [Prediction]) -> String {
        var fields = [path, p.topLabel] + p.probabilities.map(Number.shortest)
        if scales {
            for head in p.heads { fields += head.probabilities.map(Number.shortest) }
        }
        if isEnsemble {
            for m in each { fields += m.probabilities.map(Number.shortest) }
        }
        fields.append("")
        return CSV.line(fields)
    }

    private func jsonLine(path: String, _ p: Prediction, dicom: DICOMRendering?, _ each: [Prediction]) -> String {
        func classes(_ values: [Float]) -> String {
            JSON.object(zip(labels, values).map { ($0, JSON.number($1)) })
        }
        var members: [(String, String)] = [
            ("file", JSON.string(path)), ("label", JSON.string(p.topLabel)),
            ("probability", JSON.number(p.topProbability)), ("probabilities", classes(p.probabilities)),
        ]
        if scales {
            members.append(("heads", JSON.object(p.heads.map { ($0.scale.identifier, classes($0.probabilities)) })))
        }
        if isEnsemble {
            // "models": [{"weights": path, "probabilities": {...}, ["heads": {...}]}, ...]
            members.append(("models", JSON.array(zip(models, each).map { path, m in
                var model: [(String, String)] = [("weights", JSON.string(path)), ("probabilities", classes(m.probabilities))]
                if scales {
                    model.append(("heads", JSON.object(m.heads.map { ($0.scale.identifier, classes($0.probabilities)) })))
                }
                return JSON.object(model)
            })))
        }
        if let dicom {
            members.append(("dicom", JSON.object([
                ("frame", String(dicom.frame)), ("frames", String(dicom.frameCount)),
                ("photometric", JSON.string(dicom.photometric)), ("bits_stored", String(dicom.bitsStored)),
                ("signed", dicom.signed ? "true" : "false"), ("modality", JSON.string(dicom.modality)),
                ("voi", JSON.string(dicom.voi)), ("inverted", dicom.inverted ? "true" : "false"),
            ])))
        }
        return JSON.object(members) + "\n"
    }
}

/// Number formats.
enum Number {
    /// The shortest text that reads back as the same Float (CSV and JSON): "0.8123047", "1e-05".
    static func shortest(_ value: Float) -> String {
        value.isFinite ? "\(value)" : "nan"
    }

    /// Six decimals (the text of `classify`).
    static func fixed(_ value: Float) -> String {
        value.isFinite ? String(format: "%.6f", Double(value)) : "nan"
    }
}

/// RFC 4180 CSV: fields with a comma, quote, CR, LF or leading/trailing space are quoted,
/// quotes doubled; lines end with LF.
enum CSV {
    static func field(_ text: String) -> String {
        let needsQuotes = text.contains { $0 == "," || $0 == "\"" || $0.isNewline }
            || text.first == " " || text.last == " "
        guard needsQuotes else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func line(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\n"
    }

    /// A complete record read back, and the byte offset just after its line end.
    struct Record {
        var fields: [String]
        var end: Int
    }

    /// Parses `bytes` into records. A last record without its line end (an interrupted
    /// write) is not returned; `records.last?.end` is where the complete records stop.
    static func parse(_ bytes: [UInt8]) -> [Record] {
        var records: [Record] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var inQuotes = false
        var i = 0
        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
        }
        while i < bytes.count {
            let b = bytes[i]
            if inQuotes {
                if b == UInt8(ascii: "\"") {
                    if i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\"") {
                        field.append(b)
                        i += 1
                    } else {
                        inQuotes = false
                    }
                } else {
                    field.append(b)
                }
            } else {
                switch b {
                case UInt8(ascii: "\""): inQuotes = true
                case UInt8(ascii: ","): endField()
                case UInt8(ascii: "\r") where i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\n"):
                    break
                case UInt8(ascii: "\n"):
                    endField()
                    records.append(Record(fields: fields, end: i + 1))
                    fields.removeAll()
                default: field.append(b)
                }
            }
            i += 1
        }
        return records
    }
}

/// Minimal JSON writing with a fixed key order.
enum JSON {
    static func string(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let s where s.value < 0x20:
                out += "\\u" + String(repeating: "0", count: 4 - String(s.value, radix: 16).count) + String(s.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func number(_ value: Float) -> String {
        value.isFinite ? "\(value)" : "null"
    }

    static func number(_ value: Int) -> String { String(value) }

    /// An object from already-encoded member values, in the given order.
    static func object(_ members: [(String, String)]) -> String {
        "{" + members.map { string($0.0) + ": " + $0.1 }.joined(separator: ", ") + "}"
    }

    static func array(_ values: [String]) -> String {
        "[" + values.joined(separator: ", ") + "]"
    }
}

/// Where rows go: stdout or a file, one `write` call per row, no buffering, so a kill leaves
/// only whole rows behind (in the common case) and everything written is already on disk
/// as far as the process is concerned.
final class OutputSink {
    let name: String
    private let fd: Int32
    private let ownsDescriptor: Bool

    /// Standard output.
    init() {
        name = "standard output"
        fd = STDOUT_FILENO
        ownsDescriptor = false
    }

    /// `path`, created if needed; appended to when `append`, else truncated.
    init(path: String, append: Bool) throws(OutputFileError) {
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC)
        name = "output file '\(path)'"
        let fd = open(path, flags, 0o644)
        guard fd >= 0 else { throw OutputFileError(operation: .open, name: name, code: errno) }
        self.fd = fd
        ownsDescriptor = true
    }

    deinit {
        if ownsDescriptor { close(fd) }
    }

    func write(_ text: String) throws(OutputFileError) {
        guard Console.writeAll(fd, text) else { throw OutputFileError(operation: .write, name: name, code: errno) }
    }
}
