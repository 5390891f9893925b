import Foundation
import KerasFormat
import Testing

/// Locates the files of `Tests/Fixtures/format/` (made by `tools/make_format_fixtures.py`)
/// and the numbers the script stored beside them in `expected.json`.
enum FormatFixtures {
    /// The repository root: three levels above `Tests/KerasFormatTests/FormatFixtures.swift`.
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The folder of the format fixtures.
    static let directory = repositoryRoot.appendingPathComponent("Tests/Fixtures/format")

    /// The path of one fixture file.
    static func path(_ name: String) -> String {
        directory.appendingPathComponent(name).path
    }

    /// `expected.json`, parsed (read afresh on each call: it is small).
    static var expected: [String: Any] {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent("expected.json")),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            return [:]
        }
        return object
    }

    /// The entry of `expected.json` for one fixture file.
    static func expectation(_ file: String) -> [String: Any] {
        ((expected["files"] as? [String: Any])?[file] as? [String: Any]) ?? [:]
    }

    /// The expected weights of a Keras fixture: layer name -> [(name, shape, values)].
    static func expectedWeights(_ file: String) -> [String: [WeightArray]] {
        guard let layers = expectation(file)["layers"] as? [String: Any] else { return [:] }
        var result: [String: [WeightArray]] = [:]
        for (layer, entries) in layers {
            result[layer] = ((entries as? [[String: Any]]) ?? []).map { entry in
                WeightArray(
                    name: entry["name"] as? String ?? "",
                    shape: (entry["shape"] as? [Int]) ?? [],
                    values: ((entry["values"] as? [Double]) ?? []).map { Float($0) })
            }
        }
        return result
    }

    /// A fresh temporary directory, removed by the caller with `removeTemporaryDirectory`.
    static func makeTemporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("cvrnet-format-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes the first `length` bytes of fixture `name` to `directory/newName`; returns its path.
    static func truncatedCopy(of name: String, length: Int, in directory: URL, as newName: String) throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: path(name)))
        let url = directory.appendingPathComponent(newName)
        try data.prefix(length).write(to: url)
        return url.path
    }
}

/// The `KerasFormatError` thrown by `body`, or nil if it did not throw (any other error is
/// recorded as a test failure: the module's API throws nothing else).
func formatError<T>(_ body: () throws -> T) -> KerasFormatError? {
    do {
        _ = try body()
        return nil
    } catch let error as KerasFormatError {
        return error
    } catch {
        Issue.record("unexpected error type: \(error)")
        return nil
    }
}
