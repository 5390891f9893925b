import Foundation
import Testing
import TestSupport

/// Help texts, usage errors and weights/labels problems: the exit statuses that need no forward pass.
@Suite("cvrnet usage and exit statuses")
struct UsageTests {
    @Test("every command has complete --help, exit status table included", arguments: [[], ["classify"], ["score"], ["inspect"]])
    func help(_ command: [String]) throws {
        let result = try CLI.run(command + ["--help"])
        #expect(result.status == 0, "\(result.summary)")
        #expect(result.stdout.contains("USAGE: cvrnet"))
        #expect(result.stdout.contains("EXIT STATUS"))
        #expect(result.stdout.contains("  2    the weights file or the labels are unusable"))
        #expect(result.stdout.contains("  64   usage error"))
        if !command.isEmpty {
            #expect(result.stdout.contains("--weights <path>"))
            #expect(result.stdout.contains(".labels.json"), "the labels sidecar is documented")
        }
        #expect(result.stderr.isEmpty)
    }

    @Test("an unknown flag is a usage error (64)")
    func unknownFlag() throws {
        let result = try CLI.run(["classify", "--no-such-flag", Files.sampleImage("png-gray8-224x224.png")])
        #expect(result.status == 64, "\(result.summary)")
        #expect(result.stderr.contains("--no-such-flag"))
        #expect(result.stdout.isEmpty)
    }

    @Test("bad option values are usage errors (64)", arguments: [
        ["classify", "--preprocessing", "imagenet", "x.png"],
        ["classify", "--sixteen-bit", "truncate", "x.png"],
        ["classify", "--max-pixels", "0", "x.png"],
        ["classify"],
        ["score", "--threads", "0", "."],
        ["score", "--shard", "0/3", "."],
        ["score", "--shard", "4/3", "."],
        ["score", "--shard", "1", "."],
        ["score", "--resume", "."],
        ["score", "--resume", "--overwrite", "-o", "x.csv", "."],
        ["score", "--format", "xml", "."],
        ["inspect", "a.h5", "--weights", "b.h5"],
    ])
    func badValues(_ arguments: [String]) throws {
        let result = try CLI.run(arguments)
        #expect(result.status == 64, "\(arguments): \(result.summary)")
        #expect(result.stdout.isEmpty)
        #expect(!result.stderr.contains("Fatal error"))
    }

    @Test("a missing weights file exits 2 with one line naming it")
    func missingWeights() throws {
        let missing = "/nonexistent/dir/cvrnet-weights.hdf5"
        let result = try CLI.run(["classify", "--weights", missing, Files.sampleImage("png-gray8-224x224.png")])
        #expect(result.status == 2, "\(result.summary)")
        #expect(result.stderrLines.count == 1, "\(result.summary)")
        #expect(result.stderr.contains(missing))
        #expect(result.stdout.isEmpty)
    }

    @Test("CVRNET_WEIGHTS is used when --weights is absent, and named when it is wrong")
    func environmentWeights() throws {
        let missing = "/nonexistent/env-weights.h5"
        let result = try CLI.run(["classify", Files.sampleImage("png-gray8-224x224.png")], environment: ["CVRNET_WEIGHTS": missing])
        #expect(result.status == 2, "\(result.summary)")
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.contains(missing) && result.stderr.contains("CVRNET_WEIGHTS"))
    }

    @Test("a file that is not HDF5 as weights exits 2 with one line")
    func notHDF5Weights() throws {
        let result = try CLI.run(["score", "--weights", Files.sampleImage("png-gray8-224x224.png"), RepositoryPaths.sampleImages.path])
        #expect(result.status == 2, "\(result.summary)")
        #expect(result.stderrLines.count == 1, "\(result.summary)")
        #expect(result.stderr.contains("png-gray8-224x224.png"))
        #expect(result.stdout.isEmpty)
    }

    @Test("--labels with the wrong count exits 2")
    func wrongLabelCount() throws {
        let weights = try Files.referenceWeights()
        let result = try CLI.run(["classify", "--weights", weights, "--labels", "A,B,C", Files.sampleImage("png-gray8-224x224.png")])
        #expect(result.status == 2, "\(result.summary)")
        #expect(result.stderr.contains("--labels") && result.stderr.contains("3") && result.stderr.contains("2"))
        #expect(result.stdout.isEmpty)
    }

    @Test("--labels with a duplicate or empty name exits 2", arguments: ["A,A", "A,"])
    func malformedLabels(_ labels: String) throws {
        let weights = try Files.referenceWeights()
        let result = try CLI.run(["classify", "--weights", weights, "--labels", labels, Files.sampleImage("png-gray8-224x224.png")])
        #expect(result.status == 2, "\(result.summary)")
        #expect(result.stderrLines.count == 1)
    }

    @Test("score refuses a directory that does not exist (66) and an existing output without --overwrite (64)")
    func scoreInputAndOutputChecks() throws {
        let weights = try Files.referenceWeights()
        let missing = try CLI.run(["score", "--weights", weights, "/nonexistent/images"])
        #expect(missing.status == 66, "\(missing.summary)")
        #expect(missing.stderr.contains("/nonexistent/images"))

        let dir = try Files.temporaryDirectory()
        defer { Files.cleanUp(dir) }
        let output = dir.appendingPathComponent("out.csv")
        try Data("path,label\n".utf8).write(to: output)
        let exists = try CLI.run(["score", "--weights", weights, "-o", output.path, dir.path])
        #expect(exists.status == 64, "\(exists.summary)")
        #expect(exists.stderr.contains("--overwrite"))
        #expect(try String(contentsOf: output, encoding: .utf8) == "path,label\n", "the existing file is untouched")
    }
}
