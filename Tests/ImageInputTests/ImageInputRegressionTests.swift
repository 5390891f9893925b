import Foundation
import ImageInput
import Testing

/// Bad image inputs the other suites do not cover, and every input the image fuzz targets
/// (tools/fuzz.sh) have kept in tools/fuzz/regressions/{png,jpeg}/. The rule for all of them:
/// one error whose message is one line naming the input, or a full model input as PIL and
/// Keras would make it; never a crash.
@Suite struct ImageInputRegressionTests {
    let loader = KerasImageLoader()
    static let regressions = ImageInputFixtures.root.appendingPathComponent("tools/fuzz/regressions")

    /// Loads `bytes`; returns the error, or nil after checking the tensor is complete.
    func outcome(_ bytes: [UInt8], name: String, sourceLocation: SourceLocation = #_sourceLocation) -> ImageInputError? {
        do {
            let input = try loader.load(data: bytes, name: name)
            #expect(input.pixels.count == 224 * 224 * 3, sourceLocation: sourceLocation)
            #expect(input.pixels.allSatisfy { $0 >= 0 && $0 <= 255 }, sourceLocation: sourceLocation)
            return nil
        } catch {
            #expect(error.description.contains(name), "\(error)", sourceLocation: sourceLocation)
            #expect(!error.description.contains("\n"), "\(error)", sourceLocation: sourceLocation)
            return error
        }
    }

    // MARK: - Corrupt JPEG entropy-coded data

    /// `jpeg-420-131x97.jpg` with 24 bytes of its scan, from `offset` on, XORed with 0x5A
    /// (bytes 0xFF and the stuffed byte after them kept; a result of 0xFF becomes 0xFE, so no
    /// marker is made): the Huffman decoder meets bad codes. PIL decodes such files with
    /// libjpeg's warnings ignored; the FNV-1a hashes are of PIL's `convert("RGB")` bytes
    /// (Pillow 13.0.0 from tools/requirements.txt).
    static func corruptedScan(at offset: Int) -> [UInt8] {
        var data = ImageInputFixtures.bytes("jpeg-420-131x97.jpg")
        guard let sos = (0..<data.count - 3).first(where: { data[$0] == 0xFF && data[$0 + 1] == 0xDA }) else { return [] }
        let start = sos + 2 + Int(data[sos + 2]) << 8 + Int(data[sos + 3])
        for pos in (start + offset)..<(start + offset + 24) where data[pos] != 0xFF && data[pos - 1] != 0xFF {
            let flipped = data[pos] ^ 0x5A
            data[pos] = flipped == 0xFF ? 0xFE : flipped
        }
        return data
    }

    @Test("corrupt Huffman data decodes as PIL decodes it", arguments: [
        (100, "65e016309191fda7"), (300, "33b3cc65b1544630"), (600, "ddfc702366cfb689"),
    ])
    func corruptHuffmanData(_ offset: Int, _ pilRGB: String) throws {
        let data = Self.corruptedScan(at: offset)
        try #require(data.count == 2670)
        let image = try loader.decodeRGB(data: data, name: "corrupt-scan.jpg")
        #expect(image.width == 131 && image.height == 97)
        #expect(fnv1a64(bytes: image.pixels) == pilRGB)
        #expect(outcome(data, name: "corrupt-scan.jpg") == nil)
    }

    // MARK: - Corrupt zlib stream

    @Test func corruptDeflateStreamIsAnError() throws {
        // A valid zlib header, then a deflate block of the reserved type 3.
        var png = PNGBuilder.png(width: 4, height: 4, bitDepth: 8, colorType: 2,
                                 rows: Array(repeating: [UInt8](repeating: 7, count: 12), count: 4))
        let idat = try #require((0..<png.count - 4).first { Array(png[$0..<$0 + 4]) == Array("IDAT".utf8) })
        png.replaceSubrange((idat + 4)..<(idat + 7), with: [0x78, 0x01, 0x07])
        let body = Array(png[idat..<(idat + 4 + Int(png[idat - 1]))])
        png.replaceSubrange((idat + 4 + body.count - 4)..<(idat + 4 + body.count), with: PNGBuilder.be32(PNGBuilder.crc32(body)))
        let error = outcome(png, name: "bad-deflate.png")
        guard case .corrupt(_, .png, let detail)? = error else {
            Issue.record("expected corrupt, got \(String(describing: error))")
            return
        }
        #expect(detail.contains("invalid") || detail.contains("zlib") || detail.contains("deflate"), "\(detail)")
    }

    // MARK: - Tiny and cut files

    @Test func oneByOnePNG() throws {
        let png = PNGBuilder.png(width: 1, height: 1, bitDepth: 8, colorType: 2, rows: [[200, 100, 50]])
        let input = try loader.load(data: png, name: "1x1.png")
        #expect(input.sourceWidth == 1 && input.sourceHeight == 1)
        #expect(input.pixels.count == 224 * 224 * 3)
        for pixel in stride(from: 0, to: input.pixels.count, by: 3) where Array(input.pixels[pixel..<pixel + 3]) != [200, 100, 50] {
            Issue.record("pixel \(pixel / 3) is \(input.pixels[pixel..<pixel + 3])")
            break
        }
    }

    @Test("a PNG and a JPEG cut at every offset: each cut fails cleanly or is whole enough to decode",
          arguments: ["png-c6-d8-adam7-45x61.png", "jpeg-420-progressive-131x97.jpg"])
    func cutAtEveryOffset(_ file: String) {
        let data = ImageInputFixtures.bytes(file)
        var firstSuccess = data.count
        for cut in 0..<data.count where outcome(Array(data.prefix(cut)), name: "cut-\(cut)-\(file)") == nil {
            firstSuccess = min(firstSuccess, cut)
        }
        // Only the tail may be missing: a PNG's IEND chunk, and the end of the zlib stream
        // (Adler-32) and the IDAT CRC after the last row, which PIL does not need either.
        #expect(firstSuccess >= data.count - 32, "\(file): cut at \(firstSuccess) of \(data.count) bytes decodes")
    }

    // MARK: - Files that cannot be read

    @Test func readErrorIsReportedWithTheSystemsReason() {
        // Reading /proc/self/mem at offset 0 fails with EIO for any user, root included, so this
        // covers an unreadable file where permission bits cannot (tests often run as root).
        let path = "/proc/self/mem"
        guard FileManager.default.fileExists(atPath: path) else { return }
        do {
            _ = try loader.load(path: path)
            Issue.record("read \(path)")
        } catch {
            #expect(error == .readFailed(path: path, reason: "input/output error"), "\(error)")
            #expect(error.description == "cannot read image /proc/self/mem: input/output error")
        }
    }

    // MARK: - Inputs kept by the fuzz targets

    static func regressionFiles(_ target: String) -> [String] {
        let folder = regressions.appendingPathComponent(target)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { !$0.hasSuffix(".md") }.sorted().map { "\(target)/\($0)" }
    }

    @Test("every kept fuzz input fails cleanly or decodes", arguments: regressionFiles("png") + regressionFiles("jpeg"))
    func fuzzRegression(_ file: String) throws {
        let data = try [UInt8](Data(contentsOf: Self.regressions.appendingPathComponent(file)))
        _ = outcome(data, name: file)
    }
}
