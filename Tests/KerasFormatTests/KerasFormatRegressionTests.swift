import Foundation
import KerasFormat
import Testing

/// Weights files that once crashed the reader, from tools/fuzz/regressions/weights/ (crafted by
/// tools/fuzz/make_regression_inputs.py after the weights fuzz target's harness had to step
/// around them; see the README there).
@Suite struct KerasFormatRegressionTests {
    static let folder = FormatFixtures.repositoryRoot.appendingPathComponent("tools/fuzz/regressions/weights")
    static func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// The error reading layer `big`'s only weight gives, through both read calls.
    func readError(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> KerasFormatError? {
        let file = try KerasWeightsFile(path: Self.path(name))
        let error = formatError { try file.weights(ofLayer: "big") }
        var small = [Float](repeating: 0, count: 16)
        let into = small.withUnsafeMutableBufferPointer { buffer in
            formatError { try file.readWeight(ofLayer: "big", named: "big/kernel:0", into: buffer) }
        }
        #expect(into != nil, sourceLocation: sourceLocation)
        return error
    }

    @Test("dimensions whose product overflows: an error, not an arithmetic trap")
    func dimensionsOverflow() throws {
        let path = Self.path("dims-overflow.h5")
        let file = try KerasWeightsFile(path: path)
        let shapeError = formatError { try file.weightShape(ofLayer: "big", named: "big/kernel:0") }
        guard case .corruptFile(_, "/big/big/kernel:0", let detail)? = shapeError else {
            Issue.record("expected corruptFile, got \(String(describing: shapeError))")
            return
        }
        #expect(detail.contains("describe more data than can be addressed"))
        #expect(shapeError?.description.contains(path) == true)
        #expect(try readError("dims-overflow.h5") == shapeError)
    }

    @Test("4 TiB declared with no data stored: refused before allocating")
    func hugeChunkedDatasetWithoutChunks() throws {
        let file = try KerasWeightsFile(path: Self.path("dims-4tib-no-chunks.h5"))
        #expect(try file.weightShape(ofLayer: "big", named: "big/kernel:0") == [1 << 20, 1 << 20])
        let error = try readError("dims-4tib-no-chunks.h5")
        guard case .corruptFile(_, _, let detail)? = error else {
            Issue.record("expected corruptFile, got \(String(describing: error))")
            return
        }
        #expect(detail.contains("only 0 of its 68719476736 chunks are stored"), "\(detail)")
    }

    @Test("8 GiB contiguous dataset never written: refused before allocating")
    func unwrittenContiguousDataset() throws {
        let error = try readError("contiguous-8gib-unwritten.h5")
        guard case .corruptFile(_, _, let detail)? = error else {
            Issue.record("expected corruptFile, got \(String(describing: error))")
            return
        }
        #expect(detail.contains("declares 2147483648 values but the file stores 0 bytes"), "\(detail)")
    }

    @Test("chunks missing: an error, not zeros")
    func chunksMissing() throws {
        let file = try KerasWeightsFile(path: Self.path("chunks-missing.h5"))
        let error = formatError { try file.weights(ofLayer: "big") }
        guard case .corruptFile(_, _, let detail)? = error else {
            Issue.record("expected corruptFile, got \(String(describing: error))")
            return
        }
        #expect(detail.contains("only 1 of its 16 chunks are stored"), "\(detail)")
        var buffer = [Float](repeating: 0, count: 64 * 64)
        let into = buffer.withUnsafeMutableBufferPointer { pointer in
            formatError { try file.readWeight(ofLayer: "big", named: "big/kernel:0", into: pointer) }
        }
        #expect(into == error)
    }

    @Test("a layer name with line breaks and 600 characters: one shortened, escaped line")
    func layerNameWithLineBreaks() throws {
        let path = Self.path("layer-name-line-breaks.h5")
        let error = formatError { try KerasWeightsFile(path: path) }
        guard case .layerGroupMissing(_, let layer)? = error, let message = error?.description else {
            Issue.record("expected layerGroupMissing, got \(String(describing: error))")
            return
        }
        #expect(layer.unicodeScalars.count == 600 && layer.contains("\n"))
        #expect(!message.contains("\n") && !message.contains("\r") && !message.contains("\u{1B}"), "\(message)")
        #expect(message.contains(path))
        #expect(message.contains("'damaged\\nlayer\\r\\u{1B}[31mxxx"), "\(message)")
        #expect(message.contains("…(\(layer.count) characters)"), "\(message)")
        #expect(message.count < 300)
    }

    static var regressionFiles: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { !$0.hasSuffix(".md") }.sorted()
    }

    @Test("every kept input opens and reads, or fails with a message naming it", arguments: regressionFiles)
    func everyRegressionInput(_ name: String) {
        let path = Self.path(name)
        let error = formatError { () throws -> Int in
            let file = try KerasWeightsFile(path: path)
            var read = 0
            for layer in file.layerNames {
                for weight in try file.weightNames(ofLayer: layer) {
                    if let error = formatError({ try file.weight(ofLayer: layer, named: weight) }) {
                        #expect(error.description.contains(path))
                        #expect(!error.description.contains { $0.isNewline })
                    } else {
                        read += 1
                    }
                }
            }
            return read
        }
        if let error {
            #expect(error.description.contains(path))
            #expect(!error.description.contains { $0.isNewline }, "\(error.description)")
        }
    }
}
