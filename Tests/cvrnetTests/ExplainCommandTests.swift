import Foundation
import Testing
import TestSupport

@Suite("cvrnet explain")
struct ExplainCommandTests {
    static let heads = ["fused_7x7", "resnet_14x14", "resnet_28x28", "xception_28x28", "xception_14x14"]
    static let headSizes = [[7, 7], [14, 14], [28, 28], [28, 28], [14, 14]]

    @Test("overlays at the original size, .npy maps, the combined map equal to Keras's")
    func explainWritesEverything() throws {
        let weights = try Files.referenceWeights()
        let out = try Files.temporaryDirectory("cvrnet-explain")
        defer { Files.cleanUp(out) }
        let images = ["png-rgb8-333x287.png", "png-rgba8-256x320.png"]
        let result = try CLI.run(["explain", "--weights", weights, "--output", out.path] + images.map(Files.sampleImage))
        #expect(result.status == 0, "\(result.summary)")
        #expect(result.stdoutLines.count == 2, "\(result.summary)")
        #expect(result.stderr.contains("no clinical meaning"))
        for (name, size) in zip(images, [(333, 287), (256, 320)]) {
            let base = out.appendingPathComponent(name + ".gradcam").path
            for png in [base + ".png"] + Self.heads.map { base + ".\($0).png" } {
                let (w, h) = try Self.pngSize(png)
                #expect(w == size.0, "\(png): width \(w)")
                #expect(h > size.1 && h < size.1 + 60, "\(png): height \(h) (image plus legend strip)")
            }
            let (shape, combined) = try Self.readNpy(base + ".npy")
            #expect(shape == [224, 224])
            #expect(combined.allSatisfy { $0 >= 0 && $0 <= 1 })
            for (head, expected) in zip(Self.heads, Self.headSizes) {
                #expect(try Self.readNpy(base + ".\(head).npy").shape == expected)
            }
            if name == images[0] {
                // The default class is the top class; Keras's combined map for it (golden file).
                let golden = try KerasGradCAMGolden.load(weightsFile: Files.defaultWeightsName)
                let entry = try #require(golden.entries.first { $0.image.hasSuffix("/" + name) && $0.is_top_class })
                let keras = try KerasGradCAMGolden.maps(entry).combined
                let error = zip(combined, keras).map { abs($0 - $1) }.max() ?? .infinity
                #expect(error <= 1e-3, "combined map off Keras's by \(error)")
                #expect(result.stdoutLines[0].split(separator: "\t").count == 4)
            }
        }
    }

    @Test("--class picks the class; an unknown label is a usage error; a bad image does not stop the others")
    func classAndFailures() throws {
        let weights = try Files.referenceWeights()
        let out = try Files.temporaryDirectory("cvrnet-explain")
        defer { Files.cleanUp(out) }
        let bad = out.appendingPathComponent("broken.png")
        try Files.writeCorruptImage(at: bad)
        let image = Files.sampleImage("png-gray8-224x224.png")
        let result = try CLI.run(["explain", "--weights", weights, "--output", out.path, "--class", "NOR", bad.path, image])
        #expect(result.status == 1, "\(result.summary)")
        #expect(result.stdoutLines.count == 1 && result.stdoutLines.first?.contains("\tNOR\t") == true, "\(result.summary)")
        #expect(result.stderr.contains("broken.png"))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("png-gray8-224x224.png.gradcam.png").path))

        let unknown = try CLI.run(["explain", "--weights", weights, "--output", out.path, "--class", "XYZ", image])
        #expect(unknown.status == 64, "\(unknown.summary)")
        #expect(unknown.stderr.contains("XYZ") && unknown.stderr.contains("NCP, NOR"))
    }

    @Test("score --heatmaps: the same rows as without, heatmaps mirrored under DIR by relative path")
    func scoreWithHeatmaps() throws {
        let weights = try Files.referenceWeights()
        let root = try Files.temporaryDirectory("cvrnet-score-heatmaps")
        defer { Files.cleanUp(root) }
        let input = root.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: input.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Files.sampleImage("png-gray8-224x224.png"), toPath: input.appendingPathComponent("a.png").path)
        try FileManager.default.copyItem(atPath: Files.sampleImage("jpeg-rgb420-320x360.jpg"), toPath: input.appendingPathComponent("sub/b.jpg").path)
        let heatmaps = root.appendingPathComponent("heatmaps")
        let with = try CLI.run(["score", "--weights", weights, input.path, "--heatmaps", heatmaps.path])
        let without = try CLI.run(["score", "--weights", weights, input.path])
        #expect(with.status == 0, "\(with.summary)")
        #expect(with.stdout == without.stdout && with.stdoutLines.count == 3, "\(with.summary)")
        for relative in ["a.png", "sub/b.jpg"] {
            let base = heatmaps.appendingPathComponent(relative + ".gradcam").path
            for file in [base + ".png", base + ".npy"] + Self.heads.flatMap { [base + ".\($0).png", base + ".\($0).npy"] } {
                #expect(FileManager.default.fileExists(atPath: file), "\(file) missing")
            }
        }
        #expect(try Self.pngSize(heatmaps.appendingPathComponent("sub/b.jpg.gradcam.png").path).0 == 320)
    }

    /// Width and height from a PNG's IHDR chunk.
    static func pngSize(_ path: String) throws -> (Int, Int) {
        let d = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        try #require(d.count > 24 && d[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A][...], "\(path) is not a PNG")
        func be32(_ o: Int) -> Int { Int(d[o]) << 24 | Int(d[o + 1]) << 16 | Int(d[o + 2]) << 8 | Int(d[o + 3]) }
        return (be32(16), be32(20))
    }

    /// Shape and values of a '<f4' .npy v1.0 file.
    static func readNpy(_ path: String) throws -> (shape: [Int], values: [Float]) {
        let d = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        try #require(d.count > 10 && d[0] == 0x93)
        let headerLength = Int(d[8]) | Int(d[9]) << 8
        let header = String(decoding: d[10..<10 + headerLength], as: UTF8.self)
        try #require(header.contains("'descr': '<f4'"))
        let shapeText = try #require(header.split(separator: "(").last?.split(separator: ")").first)
        let shape = shapeText.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let values = stride(from: 10 + headerLength, to: d.count, by: 4).map { o in
            Float(bitPattern: UInt32(d[o]) | UInt32(d[o + 1]) << 8 | UInt32(d[o + 2]) << 16 | UInt32(d[o + 3]) << 24)
        }
        try #require(values.count == shape.reduce(1, *))
        return (shape, values)
    }
}
