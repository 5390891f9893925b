import Foundation
import Testing
import TestSupport

@Suite("cvrnet with DICOM input")
struct DICOMCommandTests {
    static let folder = RepositoryPaths.fixtures.appendingPathComponent("dicom")
    static func fixture(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// The "probabilities" member of a JSON line.
    static func probabilities(_ line: String) throws -> [String: Double] {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        return try #require(object["probabilities"] as? [String: Double])
    }

    @Test("classify x.dcm gives what classify gives on the PNG dcmj2pnm wrote, and records the rendering")
    func classifyEqualsTheDcmj2pnmPNG() throws {
        let weights = try Files.referenceWeights()
        let dicom = Self.fixture("IM000001")  // no extension: found by its DICM signature
        let j2k = Self.fixture("ct-s16-mediastinum-j2k.dcm")
        let result = try CLI.run(["classify", "--json", "--weights", weights, dicom, j2k,
                                  Self.fixture("mono2-u12-window.expected.png"),
                                  Self.fixture("ct-s16-mediastinum.expected.png")])
        #expect(result.status == 0, "\(result.summary)")
        let lines = result.stdoutLines
        try #require(lines.count == 4, "\(result.summary)")
        // The same 224x224x3 input (checked bit for bit in ImageInputTests) gives the same
        // numbers through the same kernels in the same process.
        #expect(try Self.probabilities(lines[0]) == Self.probabilities(lines[2]))
        #expect(try Self.probabilities(lines[1]) == Self.probabilities(lines[3]))
        let record = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        let rendering = try #require(record["dicom"] as? [String: Any], "\(lines[1])")
        #expect(rendering["frame"] as? Int == 1)
        #expect(rendering["photometric"] as? String == "MONOCHROME2")
        #expect((rendering["voi"] as? String)?.contains("window 40,400 LINEAR") == true)
        #expect(rendering["inverted"] as? Bool == false)
        #expect(record["dicom"] != nil)
        let png = try #require(try JSONSerialization.jsonObject(with: Data(lines[2].utf8)) as? [String: Any])
        #expect(png["dicom"] == nil)
    }

    @Test("colour DICOM (YBR_FULL, JPEG YBR_FULL_422) gives what classify gives on dcmj2pnm's RGB PNG")
    func colourEqualsTheDcmj2pnmPNG() throws {
        let weights = try Files.referenceWeights()
        let result = try CLI.run(["classify", "--json", "--weights", weights,
                                  Self.fixture("ybr-full-planar1.dcm"), Self.fixture("ybr-full-planar1.expected.png"),
                                  Self.fixture("ybr-full-422-jpeg-baseline.dcm"),
                                  Self.fixture("ybr-full-422-jpeg-baseline.expected.png")])
        #expect(result.status == 0, "\(result.summary)")
        let lines = result.stdoutLines
        try #require(lines.count == 4, "\(result.summary)")
        #expect(try Self.probabilities(lines[0]) == Self.probabilities(lines[1]))
        #expect(try Self.probabilities(lines[2]) == Self.probabilities(lines[3]))
        #expect(lines[0].contains("YBR_FULL to RGB"), "\(lines[0])")
        #expect(lines[2].contains("libjpeg"), "\(lines[2])")

        let palette = try CLI.run(["classify", "--weights", weights, Self.fixture("broken-palette-color.dcm")])
        #expect(palette.status == 1, "\(palette.summary)")
        #expect(palette.stderr.contains("PALETTE COLOR"), "\(palette.summary)")
    }

    @Test("--dicom-window lung and --dicom-frame; bad values are usage errors")
    func options() throws {
        let weights = try Files.referenceWeights()
        let lung = try CLI.run(["classify", "--json", "--weights", weights, "--dicom-window", "lung",
                                Self.fixture("ct-s16-mediastinum.dcm"), Self.fixture("ct-s16-mediastinum.lung.expected.png")])
        #expect(lung.status == 0, "\(lung.summary)")
        try #require(lung.stdoutLines.count == 2)
        #expect(try Self.probabilities(lung.stdoutLines[0]) == Self.probabilities(lung.stdoutLines[1]))
        #expect(lung.stdoutLines[0].contains("window -600,1500 LINEAR (chosen by the user)"))

        let frame2 = try CLI.run(["classify", "--weights", weights, "--dicom-frame", "2", Self.fixture("mono2-u12-multiframe.dcm")])
        #expect(frame2.status == 0, "\(frame2.summary)")
        #expect(frame2.stderr.contains("2 frames; frame 2 was classified"), "\(frame2.summary)")
        let frame3 = try CLI.run(["classify", "--weights", weights, "--dicom-frame", "3", Self.fixture("mono2-u12-multiframe.dcm")])
        #expect(frame3.status == 1, "\(frame3.summary)")
        #expect(frame3.stderr.contains("frame 3 asked for, but the file has 2 frame(s)"), "\(frame3.summary)")

        let bad = try CLI.run(["classify", "--weights", weights, "--dicom-window", "40,0", Self.fixture("IM000001")])
        #expect(bad.status == 64, "\(bad.summary)")
    }

    @Test("score finds .dcm and extensionless DICOM files, skips other extensionless files, reports bad DICOM in its row")
    func scoreFindsDICOM() throws {
        let weights = try Files.referenceWeights()
        let root = try Files.temporaryDirectory("cvrnet-dicom")
        defer { Files.cleanUp(root) }
        let fm = FileManager.default
        try fm.copyItem(atPath: Self.fixture("IM000001"), toPath: root.appendingPathComponent("IM000001").path)
        try fm.copyItem(atPath: Self.fixture("mono1-u16-minmax-rle.dcm"), toPath: root.appendingPathComponent("b.dcm").path)
        try fm.copyItem(atPath: Self.fixture("broken-truncated-header.dcm"), toPath: root.appendingPathComponent("c.dcm").path)
        try Data("not an image\n".utf8).write(to: root.appendingPathComponent("NOTES"))
        let result = try CLI.run(["score", "--weights", weights, "--format", "jsonl", root.path])
        #expect(result.status == 1, "\(result.summary)")
        let lines = result.stdoutLines
        try #require(lines.count == 3, "\(result.summary)")
        #expect(lines[0].contains("\"file\": \"IM000001\"") && lines[0].contains("\"dicom\""), "\(lines[0])")
        #expect(lines[1].contains("\"file\": \"b.dcm\"") && lines[1].contains("\"inverted\": true"), "\(lines[1])")
        #expect(lines[2].contains("\"file\": \"c.dcm\"") && lines[2].contains("\"error\""), "\(lines[2])")
    }
}
