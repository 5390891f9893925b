import Foundation
import TestSupport
import Testing

/// The command line's words for the library's errors (`ErrorMessages`): what only the command
/// line knows is added there, once, for every command.
@Suite struct ErrorMessagesTests {
    @Test("an image over the pixel limit: the message names the flag that raises it (exit 1)")
    func pixelLimitNamesTheFlag() throws {
        let weights = try Files.referenceWeights()
        let image = RepositoryPaths.fixtures.appendingPathComponent("image-inputs/png-100000x100000.png").path
        let result = try CLI.run(["classify", "--weights", weights, image])
        #expect(result.status == 1, "\(result.summary)")
        let line = try #require(result.stderrLines.first { $0.contains("more than the limit") }, "\(result.summary)")
        #expect(line.contains(image) && line.contains("--max-pixels"), "\(result.summary)")
    }

    @Test("labels that do not fit: the same line from classify and inspect")
    func labelCountWordedOnce() throws {
        let weights = try Files.referenceWeights()
        let image = Files.sampleImage("png-gray8-224x224.png")
        let classify = try CLI.run(["classify", "--weights", weights, "--labels", "A,B,C", image])
        let inspect = try CLI.run(["inspect", "--labels", "A,B,C", weights])
        #expect(classify.status == 2 && inspect.status == 2, "\(classify.summary)\n\(inspect.summary)")
        let expected = "cvrnet: --labels name 3 classes but the weights file '\(weights)' has 2"
        #expect(classify.stderrLines.contains(expected), "\(classify.summary)")
        #expect(inspect.stderrLines.contains(expected), "\(inspect.summary)")
    }
}
