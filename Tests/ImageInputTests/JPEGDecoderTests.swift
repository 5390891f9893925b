import ImageInput
import Testing

/// JPEG decoding (libjpeg-turbo, ISLOW, fancy upsampling) against PIL, byte for byte.
@Suite struct JPEGDecoderTests {
    let loader = KerasImageLoader()

    @Test("RGB bytes, mode, size and notes equal PIL's", arguments: ImageInputFixtures.jpegImages)
    func matchesPIL(_ expected: ImageInputFixtures.Image) throws {
        let image = try loader.decodeRGB(path: ImageInputFixtures.path(expected.file))
        #expect([image.width, image.height] == expected.source_size)
        #expect(image.pilMode == expected.pil_mode)
        #expect(image.format == .jpeg)
        #expect(fnv1a64(bytes: image.pixels) == expected.rgb_fnv1a64)
        #expect(Set(image.notes.map(noteKey)) == Set(expected.notes))
    }

    @Test func exifOrientationIsReportedNotApplied() throws {
        let image = try loader.decodeRGB(path: ImageInputFixtures.path("jpeg-exif-orientation8-131x97.jpg"))
        #expect(image.width == 131 && image.height == 97)
        #expect(image.notes == [.exifOrientationIgnored(8)])
    }

    @Test func missingEOIIsTruncatedAsInPIL() {
        let file = "jpeg-no-eoi.jpg"
        #expect(throws: ImageInputError.self) { try loader.decodeRGB(path: ImageInputFixtures.path(file)) }
        do {
            _ = try loader.decodeRGB(path: ImageInputFixtures.path(file))
        } catch {
            guard case .truncated(_, .jpeg, _) = error else {
                Issue.record("expected truncated, got \(error)")
                return
            }
        }
    }

    @Test func everyTruncationIsAnError() {
        let good = ImageInputFixtures.bytes("jpeg-420-progressive-131x97.jpg")
        for cut in stride(from: 3, to: good.count, by: 151) {
            #expect(throws: ImageInputError.self) {
                try loader.decodeRGB(data: Array(good.prefix(cut)), name: "cut.jpg")
            }
        }
    }

    @Test func unknownMarkerInPlaceOfEOIIsCorruptAsInPIL() {
        do {
            _ = try loader.decodeRGB(path: ImageInputFixtures.path("jpeg-bad-eoi.jpg"))
            Issue.record("decoded a file PIL rejects")
        } catch {
            guard case .corrupt(_, .jpeg, let detail) = error else {
                Issue.record("expected corrupt, got \(error)")
                return
            }
            #expect(detail.contains("marker"))
        }
    }
}
