import Foundation
import ImageInput
import TestSupport
import Testing

/// The whole pipeline against Keras: `img_to_array(load_img(path, target_size=(224, 224)))`.
@Suite struct KerasImageLoaderTests {
    let loader = KerasImageLoader()

    /// The committed sample images (`Tests/Fixtures/sample-images/keras-inputs.json`): every one
    /// must give exactly Keras's float32 input (FNV-1a 64 over its little-endian bytes).
    @Test func sampleImagesEqualKerasExactly() throws {
        let url = RepositoryPaths.sampleImages.appendingPathComponent("keras-inputs.json")
        guard FileManager.default.fileExists(atPath: url.path) else {
            Issue.record("\(url.path) is missing: run .venv/bin/python tools/make_sample_images.py")
            return
        }
        let inputs = try KerasInputs.load()
        #expect(!inputs.images.isEmpty)
        for expected in inputs.images {
            let path = RepositoryPaths.sampleImages.appendingPathComponent(expected.file).path
            let input = try loader.load(path: path)
            #expect(input.width == 224 && input.height == 224 && input.pixels.count == 224 * 224 * 3)
            #expect([input.sourceWidth, input.sourceHeight] == expected.source_size, "\(expected.file)")
            #expect(input.sourcePILMode == expected.pil_mode, "\(expected.file)")
            #expect(fnv1a64(input.pixels) == expected.input_fnv1a64, "\(expected.file): input differs from Keras")
            let sum = input.pixels.reduce(0.0) { $0 + Double($1) }
            #expect(sum == expected.input_sum, "\(expected.file)")
        }
    }

    @Test("decoder test inputs equal Keras exactly", arguments: ImageInputFixtures.images)
    func testInputsEqualKeras(_ expected: ImageInputFixtures.Image) throws {
        let input = try loader.load(path: ImageInputFixtures.path(expected.file))
        #expect(fnv1a64(input.pixels) == expected.input_fnv1a64)
        #expect(input.sourcePILMode == expected.pil_mode)
    }

    @Test func nonSquareTargetUsesWidthThenHeight() throws {
        let expected = try #require(ImageInputFixtures.expected?.target_size_150x100)
        let wide = KerasImageLoader(options: ImageLoadOptions(targetWidth: 150, targetHeight: 100))
        let input = try wide.load(path: ImageInputFixtures.path(expected.file))
        #expect(input.width == 150 && input.height == 100 && input.pixels.count == 150 * 100 * 3)
        #expect(fnv1a64(input.pixels) == expected.input_fnv1a64)
    }

    @Test("broken files fail as PIL does, with a clear message", arguments: ImageInputFixtures.brokenFiles)
    func brokenFile(_ expected: ImageInputFixtures.BrokenFile) {
        let path = ImageInputFixtures.path(expected.file)
        do {
            _ = try loader.load(path: path)
            Issue.record("\(expected.file) loaded, but Keras fails: \(expected.pil_error)")
        } catch {
            #expect(kind(of: error) == expected.kind, "\(error)")
            #expect(error.description.contains(path), "message must name the file: \(error)")
            #expect(error.description.contains(expected.message_contains), "\(error)")
            #expect(error.name == path)
        }
    }

    @Test func missingFile() {
        let path = ImageInputFixtures.path("no-such-image.png")
        #expect(throws: ImageInputError.fileNotFound(path: path)) { try loader.load(path: path) }
        #expect(ImageInputError.fileNotFound(path: path).description == "cannot open image \(path): no such file")
    }

    @Test func directoryNamedLikeAnImage() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("image-input-tests-\(getpid())")
        let fake = dir.appendingPathComponent("scan.png")
        try FileManager.default.createDirectory(at: fake, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: ImageInputError.isDirectory(path: fake.path)) { try loader.load(path: fake.path) }
        #expect(ImageInputError.isDirectory(path: fake.path).description.contains("it is a directory"))
    }

    @Test func unreadableFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("image-input-tests-perm-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("locked.jpg")
        try Data(ImageInputFixtures.bytes("jpeg-1x1.jpg")).write(to: file)
        try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: file.path)
        if access(file.path, R_OK) == 0 {
            // Running as root: permissions do not stop reading; the file must then simply load.
            #expect(try loader.load(path: file.path).sourceWidth == 1)
        } else {
            #expect(throws: ImageInputError.permissionDenied(path: file.path)) { try loader.load(path: file.path) }
        }
    }

    @Test func formatComesFromTheBytesNotTheExtension() throws {
        let jpeg = ImageInputFixtures.bytes("jpeg-420-131x97.jpg")
        let input = try loader.load(data: jpeg, name: "actually-a-jpeg.png")
        #expect(input.sourceFormat == .jpeg)
        let text = Array("GIF89a, not supported".utf8)
        #expect(throws: ImageInputError.unknownFormat(name: "x.jpg", leadingBytes: Array(text.prefix(8)))) {
            try loader.load(data: text, name: "x.jpg")
        }
    }

    @Test func messagesAreOneSentenceNamingTheFile() {
        let errors: [ImageInputError] = [
            .fileNotFound(path: "a.png"), .permissionDenied(path: "a.png"), .isDirectory(path: "a.png"),
            .readFailed(path: "a.png", reason: "input/output error"), .emptyFile(name: "a.png"),
            .unknownFormat(name: "a.png", leadingBytes: [0x3C, 0x68]),
            .truncated(name: "a.png", format: .png, detail: "the data ends before the image is complete (3 of 45 rows decoded)"),
            .corrupt(name: "a.png", format: .png, detail: "libpng: bad adaptive filter value"),
            .tooManyPixels(name: "a.png", width: 100_000, height: 100_000, limit: 100_000_000),
            .unsupported(name: "a.png", format: .jpeg, detail: "12-bit samples (PIL cannot handle 12-bit layers either)"),
            .outOfMemory(name: "a.png", width: 10, height: 10),
        ]
        for error in errors {
            #expect(error.description.contains("a.png"))
            #expect(!error.description.contains("\n"))
        }
        #expect(ImageInputError.tooManyPixels(name: "a.png", width: 100_000, height: 100_000, limit: 100_000_000)
            .description == "image a.png is 100000 x 100000 = 10000000000 pixels, more than the limit of 100000000")
        #expect(ImageInputError.corrupt(name: "a.png", format: .png, detail: "bad CRC checksum in the IHDR chunk")
            .description == "PNG image a.png is corrupt: bad CRC checksum in the IHDR chunk")
        #expect(ImageInputError.unknownFormat(name: "a.png", leadingBytes: [0x3C, 0x68]).description
            == "image a.png is neither PNG nor JPEG: it starts with bytes 3C 68, which match neither signature (nor is it DICOM: no DICM at byte 128)")
    }

    @Test func invalidTargetSize() {
        let bad = KerasImageLoader(options: ImageLoadOptions(targetWidth: 0, targetHeight: 224))
        #expect(throws: ImageInputError.invalidTargetSize(width: 0, height: 224)) {
            try bad.load(data: ImageInputFixtures.bytes("jpeg-1x1.jpg"), name: "x.jpg")
        }
    }

    @Test func loaderIsUsableFromManyThreads() async throws {
        let files = ImageInputFixtures.images.prefix(16)
        let loader = self.loader
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for expected in files {
                group.addTask {
                    let input = try loader.load(path: ImageInputFixtures.path(expected.file))
                    return fnv1a64(input.pixels) == expected.input_fnv1a64
                }
            }
            for try await ok in group { #expect(ok) }
        }
    }

    private func kind(of error: ImageInputError) -> String {
        switch error {
        case .fileNotFound: return "fileNotFound"
        case .permissionDenied: return "permissionDenied"
        case .isDirectory: return "isDirectory"
        case .readFailed: return "readFailed"
        case .emptyFile: return "emptyFile"
        case .unknownFormat: return "unknownFormat"
        case .truncated: return "truncated"
        case .corrupt: return "corrupt"
        case .tooManyPixels: return "tooManyPixels"
        case .unsupported: return "unsupported"
        case .outOfMemory: return "outOfMemory"
        case .invalidTargetSize: return "invalidTargetSize"
        }
    }
}
