import Foundation
import ImageInput
import TestSupport
import Testing

/// DICOM input against DCMTK: `Tests/Fixtures/dicom/expected.json` and the PNGs beside it
/// are written by `tools/make_dicom_fixtures.py` with `dcmj2pnm` (and a numpy oracle that
/// must agree with it on every file before anything is written).
@Suite struct DICOMTests {
    struct Expected: Decodable {
        struct File: Decodable {
            let expected_png: String
            let input_fnv1a64: String
            let transfer_syntax: String
            let photometric: String?
        }
        struct WindowChoice: Decodable {
            let file: String
            let window: String
            let expected_png: String
        }
        struct Broken: Decodable {
            let error: String
            let reason: String
        }
        let files: [String: File]
        let window_choices: [WindowChoice]
        let broken: [String: Broken]
    }

    static let folder = RepositoryPaths.fixtures.appendingPathComponent("dicom")
    static let regenerate = ".venv/bin/python tools/make_dicom_fixtures.py"
    static let expected: Expected? = try? JSONDecoder().decode(
        Expected.self, from: Data(contentsOf: folder.appendingPathComponent("expected.json")))

    func path(_ name: String) -> String { Self.folder.appendingPathComponent(name).path }

    /// The 8-bit grey picture of `image` (the R channel; the loader replicates grey to RGB).
    func grey(_ image: RGBImage) -> [UInt8] {
        stride(from: 0, to: image.pixels.count, by: 3).map { image.pixels[$0] }
    }

    /// Largest |a - b| over two equally long byte arrays (Int.max when the sizes differ).
    func maxDifference(_ a: [UInt8], _ b: [UInt8]) -> Int {
        guard a.count == b.count else { return Int.max }
        return zip(a, b).map { abs(Int($0) - Int($1)) }.max() ?? 0
    }

    @Test func fixturesArePresent() {
        #expect(Self.expected != nil, "\(Self.folder.path)/expected.json is missing: run \(Self.regenerate)")
        #expect((Self.expected?.files.count ?? 0) >= 30)
        #expect((Self.expected?.broken.count ?? 0) >= 9)
    }

    /// Every file, every transfer syntax: the picture equals dcmj2pnm's PNG byte for byte,
    /// and grey is replicated to RGB as PIL's convert("RGB") does with an "L" PNG (colour
    /// files, RGB and YBR converted to RGB: all three channels equal dcmj2pnm's).
    @Test func pictureEqualsDcmj2pnm() throws {
        let expected = try #require(Self.expected)
        let loader = KerasImageLoader()
        var worst = 0
        for (name, file) in expected.files.sorted(by: { $0.key < $1.key }) {
            let image = try loader.decodeRGB(path: path(name))
            let reference = try loader.decodeRGB(path: path(file.expected_png))
            #expect(image.format == .dicom, "\(name)")
            let colour = ["RGB", "YBR_FULL", "YBR_FULL_422"].contains(file.photometric ?? "")
            #expect(image.pilMode == (colour ? "RGB" : "L"), "\(name)")
            #expect(image.width == reference.width && image.height == reference.height, "\(name)")
            let difference = maxDifference(grey(image), grey(reference))
            worst = max(worst, difference)
            #expect(difference == 0, "\(name) (\(file.transfer_syntax)) differs from \(file.expected_png) by up to \(difference)")
            #expect(image.pixels == reference.pixels, "\(name): RGB differs from \(file.expected_png)")
        }
        #expect(worst == 0)
    }

    /// The network input equals Keras `img_to_array(load_img(png, target_size=(224, 224)))` of
    /// the PNG dcmj2pnm wrote (FNV-1a 64 of the float32 bytes, computed by the tool with tf-keras).
    @Test func modelInputEqualsKerasOnTheDcmj2pnmPNG() throws {
        let expected = try #require(Self.expected)
        let loader = KerasImageLoader()
        for (name, file) in expected.files.sorted(by: { $0.key < $1.key }) {
            let input = try loader.load(path: path(name))
            #expect(input.width == 224 && input.height == 224)
            var bytes: [UInt8] = []
            bytes.reserveCapacity(input.pixels.count * 4)
            for value in input.pixels { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
            #expect(fnv1a64(bytes: bytes) == file.input_fnv1a64, "\(name): model input differs from Keras on \(file.expected_png)")
            #expect(input.sourceFormat == .dicom)
        }
    }

    /// --dicom-window lung / C,W / minmax equal dcmj2pnm +Ww C W / +Wm.
    @Test func windowChoicesEqualDcmj2pnm() throws {
        let expected = try #require(Self.expected)
        #expect(expected.window_choices.count >= 4)
        for choice in expected.window_choices {
            var options = ImageLoadOptions()
            options.dicomWindow = try #require(DICOMWindow(argument: choice.window))
            let image = try KerasImageLoader(options: options).decodeRGB(path: path(choice.file))
            let reference = try KerasImageLoader().decodeRGB(path: path(choice.expected_png))
            let difference = maxDifference(grey(image), grey(reference))
            #expect(difference == 0, "\(choice.file) with --dicom-window \(choice.window): up to \(difference) from dcmj2pnm")
        }
    }

    @Test func windowArguments() {
        #expect(DICOMWindow(argument: "lung") == .centerWidth(center: -600, width: 1500))
        #expect(DICOMWindow(argument: "mediastinum") == .centerWidth(center: 40, width: 400))
        #expect(DICOMWindow(argument: "40,400") == .centerWidth(center: 40, width: 400))
        #expect(DICOMWindow(argument: "-600.5, 1500") == .centerWidth(center: -600.5, width: 1500))
        #expect(DICOMWindow(argument: "minmax") == .minMax)
        #expect(DICOMWindow(argument: "file") == .file)
        #expect(DICOMWindow(argument: "40,0") == nil)
        #expect(DICOMWindow(argument: "40") == nil)
        #expect(DICOMWindow(argument: "a,b") == nil)
    }

    /// Frame 1 by default, recorded; frame 2 of the test file is the negative of frame 1
    /// (4095 - v under the same window); a frame past the end is one clear error.
    @Test func multiFrame() throws {
        let name = path("mono2-u12-multiframe.dcm")
        let first = try KerasImageLoader().decodeRGB(path: name)
        let rendering = try #require(first.notes.compactMap { note -> DICOMRendering? in
            if case .dicomRendered(let r) = note { return r } else { return nil }
        }.first)
        #expect(rendering.frame == 1 && rendering.frameCount == 2)
        #expect(rendering.voi.contains("window 2000,3000 LINEAR"))
        let single = try KerasImageLoader().decodeRGB(path: path("mono2-u12-window.dcm"))
        #expect(first.pixels == single.pixels)

        var options = ImageLoadOptions()
        options.dicomFrame = 2
        let second = try KerasImageLoader(options: options).decodeRGB(path: name)
        #expect(second.pixels != first.pixels)
        options.dicomFrame = 3
        #expect(throws: ImageInputError.self) { try KerasImageLoader(options: options).decodeRGB(path: name) }
        do {
            _ = try KerasImageLoader(options: options).decodeRGB(path: name)
        } catch {
            #expect(error.description.contains(name) && error.description.contains("frame 3"))
        }
    }

    /// What was applied is recorded: inversion for MONOCHROME1 and for Presentation LUT Shape
    /// INVERSE, rescale, LUTs.
    @Test func renderingIsRecorded() throws {
        func rendering(_ name: String) throws -> DICOMRendering {
            let image = try KerasImageLoader().decodeRGB(path: path(name))
            return try #require(image.notes.compactMap { note -> DICOMRendering? in
                if case .dicomRendered(let r) = note { return r } else { return nil }
            }.first)
        }
        #expect(try rendering("mono1-u12-window.dcm").inverted)
        #expect(try rendering("mono2-u12-presentation-inverse.dcm").inverted)
        #expect(try !rendering("mono2-u12-window.dcm").inverted)
        #expect(try rendering("cr-slope0.684-window.dcm").modality.contains("truncated"))
        #expect(try rendering("ct-s16-mediastinum.dcm").signed)
        #expect(try rendering("mono2-u12-voi-lut.dcm").voi.hasPrefix("VOI LUT"))
        #expect(try rendering("mono2-u12-modality-lut.dcm").modality.hasPrefix("LUT"))
        #expect(try rendering("mono2-u12-minmax.dcm").voi.hasPrefix("min-max window"))
    }

    /// Colour: each YBR model and planar configuration is converted (and recorded as such);
    /// the fixtures cover the three conversions dcmj2pnm uses.
    @Test func colourConversionsAreCovered() throws {
        let expected = try #require(Self.expected)
        var conversions: [String: Int] = [:]
        for (name, file) in expected.files where ["RGB", "YBR_FULL", "YBR_FULL_422"].contains(file.photometric ?? "") {
            let image = try KerasImageLoader().decodeRGB(path: path(name))
            let rendering = try #require(image.notes.compactMap { note -> DICOMRendering? in
                if case .dicomRendered(let r) = note { return r } else { return nil }
            }.first)
            #expect(rendering.photometric == file.photometric, "\(name)")
            conversions[rendering.voi, default: 0] += 1
        }
        #expect(conversions.count == 4, "\(conversions)")  // as stored, YBR_FULL, YBR_FULL_422, JPEG YCbCr
        #expect(conversions.keys.contains { $0.contains("YBR_FULL_422 to RGB") })
        #expect(conversions.keys.contains { $0.contains("libjpeg") })
    }

    /// Bad files: one line naming the file, the expected kind of error, never a crash.
    @Test func brokenFilesGiveOneClearLine() throws {
        let expected = try #require(Self.expected)
        for (name, broken) in expected.broken.sorted(by: { $0.key < $1.key }) {
            let full = path(name)
            do {
                _ = try KerasImageLoader().load(path: full)
                Issue.record("\(name) (\(broken.reason)) loaded without an error")
            } catch {
                let line = error.description
                #expect(line.contains(full), "\(name): \(line)")
                #expect(!line.contains("\n"), "\(name): \(line)")
                switch (broken.error, error) {
                case ("corrupt", .corrupt), ("unsupported", .unsupported), ("any", _): break
                default: Issue.record("\(name) (\(broken.reason)): expected \(broken.error), got: \(line)")
                }
            }
        }
    }

    /// Truncating a valid file anywhere gives an error (or, past the pixel data, the picture): never a crash.
    @Test func everyTruncationIsHandled() throws {
        let data = try [UInt8](Data(contentsOf: Self.folder.appendingPathComponent("ct-s16-mediastinum-rle.dcm")))
        for length in stride(from: 0, to: data.count, by: max(1, data.count / 97)) {
            _ = try? KerasImageLoader().decodeRGB(data: Array(data.prefix(length)), name: "cut-\(length).dcm")
        }
    }
}
