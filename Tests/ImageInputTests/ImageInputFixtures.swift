import Foundation
import ImageInput
import TestSupport

/// The test inputs of this target and what Keras/PIL make of them
/// (`Tests/Fixtures/image-inputs/expected.json`, written by `tools/make_image_test_inputs.py`).
enum ImageInputFixtures {
    /// Repository root: three levels above `Tests/ImageInputTests/ImageInputFixtures.swift`.
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let folder = root.appendingPathComponent("Tests/Fixtures/image-inputs")
    static let sampleImages = root.appendingPathComponent("Tests/Fixtures/sample-images")

    struct Image: Decodable, Sendable, CustomStringConvertible {
        let file: String
        let source_size: [Int]
        let pil_mode: String
        let rgb_fnv1a64: String
        let input_fnv1a64: String
        let notes: [String]
        let rgb_rescale_fnv1a64: String?
        var description: String { file }
    }

    struct BrokenFile: Decodable, Sendable, CustomStringConvertible {
        let file: String
        let pil_error: String
        let kind: String
        let message_contains: String
        var description: String { file }
    }

    struct Preprocessing: Decodable, Sendable {
        let file: String
        let caffe_fnv1a64: String
        let tf_fnv1a64: String
        let scale01_fnv1a64: String
    }

    struct TargetSize: Decodable, Sendable {
        let file: String
        let input_fnv1a64: String
    }

    struct Expected: Decodable, Sendable {
        let images: [Image]
        let errors: [BrokenFile]
        let nearest_indices: [String: [Int]]
        let preprocessing: Preprocessing
        let target_size_150x100: TargetSize
    }

    static let expectedURL = folder.appendingPathComponent("expected.json")
    static let regenerate = ".venv/bin/python tools/make_image_test_inputs.py"

    /// The parsed expected.json, or nil when it is missing or unreadable (then
    /// `FixtureTests.expectedFileIsPresent` fails with the command that makes it).
    static let expected: Expected? = try? JSONDecoder().decode(Expected.self, from: Data(contentsOf: expectedURL))

    static func path(_ file: String) -> String { folder.appendingPathComponent(file).path }

    static func bytes(_ file: String) -> [UInt8] {
        (try? [UInt8](Data(contentsOf: folder.appendingPathComponent(file)))) ?? []
    }

    static var images: [Image] { expected?.images ?? [] }
    static var pngImages: [Image] { images.filter { $0.file.hasSuffix(".png") } }
    static var jpegImages: [Image] { images.filter { $0.file.hasSuffix(".jpg") } }
    static var brokenFiles: [BrokenFile] { expected?.errors ?? [] }
}

/// FNV-1a 64 over bytes, as lowercase 16 hex digits (the generator's `fnv1a64`).
func fnv1a64(bytes: [UInt8]) -> String {
    var hash = FNV1a64()
    hash.combine(bytes)
    return hash.hex
}

/// A note as the generator spells it ("sixteenBitClipped:400", "alphaDropped", ...).
func noteKey(_ note: ImageNote) -> String {
    switch note {
    case .sixteenBitClipped(let maxValue): return "sixteenBitClipped:\(maxValue)"
    case .sixteenBitHighByteKept: return "sixteenBitHighByteKept"
    case .sixteenBitRescaled: return "sixteenBitRescaled"
    case .exifOrientationIgnored(let orientation): return "exifOrientationIgnored:\(orientation)"
    case .alphaDropped: return "alphaDropped"
    case .transparencyIgnored: return "transparencyIgnored"
    case .cmykConverted: return "cmykConverted"
    case .checksumErrorsIgnored(let count): return "checksumErrorsIgnored:\(count)"
    case .imageDataEndedEarly(let rows): return "imageDataEndedEarly:\(rows)"
    case .trailingErrorIgnored: return "trailingErrorIgnored"
    case .decoderWarnings: return "decoderWarnings"
    case .dicomRendered: return "dicomRendered"
    }
}
