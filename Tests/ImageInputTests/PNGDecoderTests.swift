import ImageInput
import Testing

/// PNG decoding against PIL's `Image.open(...).convert("RGB")`, byte for byte.
@Suite struct PNGDecoderTests {
    let loader = KerasImageLoader()

    @Test("RGB bytes, mode, size and notes equal PIL's", arguments: ImageInputFixtures.pngImages)
    func matchesPIL(_ expected: ImageInputFixtures.Image) throws {
        let image = try loader.decodeRGB(path: ImageInputFixtures.path(expected.file))
        #expect([image.width, image.height] == expected.source_size)
        #expect(image.pilMode == expected.pil_mode)
        #expect(image.format == .png)
        #expect(fnv1a64(bytes: image.pixels) == expected.rgb_fnv1a64)
        #expect(Set(image.notes.map(noteKey)) == Set(expected.notes))
    }

    @Test("16-bit files under the rescale policy", arguments: ImageInputFixtures.pngImages.filter { $0.rgb_rescale_fnv1a64 != nil })
    func rescale(_ expected: ImageInputFixtures.Image) throws {
        let rescaling = KerasImageLoader(options: ImageLoadOptions(sixteenBit: .rescale))
        let image = try rescaling.decodeRGB(path: ImageInputFixtures.path(expected.file))
        #expect(fnv1a64(bytes: image.pixels) == expected.rgb_rescale_fnv1a64)
        #expect(image.notes.contains(.sixteenBitRescaled))
        #expect(!image.notes.contains { if case .sixteenBitClipped = $0 { return true } else { return false } })
    }

    @Test func sixteenBitGrayClipsAt255NotHighByte() throws {
        // 16-bit gray 0, 255, 256, 65535 -> PIL: 0, 255, 255, 255 (clip), not v >> 8 (0, 0, 1, 255).
        let png = PNGBuilder.png(width: 4, height: 1, bitDepth: 16, colorType: 0,
                                 rows: [[0x00, 0x00, 0x00, 0xFF, 0x01, 0x00, 0xFF, 0xFF]])
        let image = try loader.decodeRGB(data: png, name: "gray16.png")
        #expect(image.pilMode == "I;16")
        #expect(image.pixels == [0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255, 255])
        #expect(image.notes == [.sixteenBitClipped(maxValue: 65535)])
    }

    @Test func sixteenBitRGBKeepsHighByte() throws {
        let png = PNGBuilder.png(width: 1, height: 1, bitDepth: 16, colorType: 2,
                                 rows: [[0x12, 0x34, 0x00, 0xFF, 0xFF, 0x00]])
        let image = try loader.decodeRGB(data: png, name: "rgb16.png")
        #expect(image.pixels == [0x12, 0x00, 0xFF])
        #expect(image.notes == [.sixteenBitHighByteKept])
    }

    @Test func paletteIndexPastThePaletteIsBlack() throws {
        // Two palette entries, indices 0, 1, 2, 255: PIL shows the last two as black.
        let png = PNGBuilder.png(width: 4, height: 1, bitDepth: 8, colorType: 3, rows: [[0, 1, 2, 255]],
                                 extraChunks: [("PLTE", [10, 20, 30, 40, 50, 60])])
        let image = try loader.decodeRGB(data: png, name: "palette.png")
        #expect(image.pilMode == "P")
        #expect(image.pixels == [10, 20, 30, 40, 50, 60, 0, 0, 0, 0, 0, 0])
    }

    @Test func idatChecksumErrorIsIgnoredAsPILDoes() throws {
        let image = try loader.decodeRGB(path: ImageInputFixtures.path("png-bad-idat-crc-24x20.png"))
        #expect(image.notes.contains(.checksumErrorsIgnored(count: 1)))
    }

    @Test func headerChecksumErrorIsFatalAsInPIL() {
        #expect(throws: ImageInputError.corrupt(name: "png-bad-ihdr-crc.png", format: .png,
                                                detail: "bad CRC checksum in the IHDR chunk")) {
            try loader.decodeRGB(data: ImageInputFixtures.bytes("png-bad-ihdr-crc.png"), name: "png-bad-ihdr-crc.png")
        }
    }

    @Test func truncatedImageDataIsAnError() {
        let good = ImageInputFixtures.bytes("png-c2-d8-adam7-37x29.png")
        for cut in stride(from: 40, to: good.count - 20, by: 97) {
            #expect(throws: ImageInputError.self) {
                try loader.decodeRGB(data: Array(good.prefix(cut)), name: "cut.png")
            }
        }
    }

    @Test func absurdDimensionsAreRefusedBeforeAllocating() {
        let png = PNGBuilder.png(width: 100_000, height: 100_000, bitDepth: 8, colorType: 2, rows: [[0, 0, 0]])
        #expect(throws: ImageInputError.tooManyPixels(name: "huge.png", width: 100_000, height: 100_000,
                                                      limit: 100_000_000)) {
            try loader.decodeRGB(data: png, name: "huge.png")
        }
    }

    @Test func pixelLimitIsConfigurable() throws {
        let file = "png-c0-d8-37x29.png"
        let small = KerasImageLoader(options: ImageLoadOptions(maxPixels: 37 * 29 - 1))
        #expect(throws: ImageInputError.tooManyPixels(name: file, width: 37, height: 29, limit: 37 * 29 - 1)) {
            try small.decodeRGB(data: ImageInputFixtures.bytes(file), name: file)
        }
        let exact = KerasImageLoader(options: ImageLoadOptions(maxPixels: 37 * 29))
        #expect(try exact.decodeRGB(data: ImageInputFixtures.bytes(file), name: file).width == 37)
    }
}
