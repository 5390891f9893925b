import Foundation
import Testing
import TestSupport

/// Weights files that crash libhdf5 itself are refused by the CLI (which reads a new weights file
/// in a child process first) with one line and exit status 2, instead of taking cvrnet down.
@Suite("cvrnet refuses weights files that crash libhdf5")
struct WeightsSafetyCheckTests {
    static let crashers = ["h5hg-read-segv.h5", "h5a-close-segv.h5"]

    static func path(_ name: String) -> String {
        RepositoryPaths.root.appendingPathComponent("tools/fuzz/regressions/weights-libhdf5/\(name)").path
    }

    @Test("classify and inspect exit 2 with one line naming the file", arguments: crashers)
    func refused(_ name: String) throws {
        let weights = Self.path(name)
        #expect(FileManager.default.fileExists(atPath: weights))
        let image = RepositoryPaths.sampleImages.appendingPathComponent("png-gray8-224x224.png").path
        for arguments in [["classify", "--weights", weights, image], ["inspect", weights]] {
            let result = try CLI.run(arguments)
            #expect(result.status == 2, "\(arguments[0]): \(result.summary)")
            #expect(result.stderr.contains("the HDF5 library crashed reading it"), "\(arguments[0]): \(result.summary)")
            #expect(result.stderr.contains(name))
            #expect(!result.stderr.contains("Program crashed"), "\(arguments[0]): \(result.summary)")
        }
    }
}
