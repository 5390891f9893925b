import CImageCodecs
import Testing

/// PIL's `convert("RGB")` rules, row by row, through the C converters the decoders use.
@Suite struct PILConversionTests {
    /// Runs `cvr_png_row_to_rgb8` on one row.
    func convert(_ row: [UInt8], width: Int, colorType: Int32, bitDepth: Int32, palette: [UInt8] = [],
                 rescale: Bool = false) -> (rgb: [UInt8], max16: Int32) {
        var table = [UInt8](repeating: 0, count: 768)
        for (i, v) in palette.enumerated() { table[i] = v }
        var out = [UInt8](repeating: 0xAA, count: width * 3)
        var max16: Int32 = 0
        let policy = Int32(bitPattern: (rescale ? CVR_SIXTEEN_BIT_RESCALE : CVR_SIXTEEN_BIT_PIL).rawValue)
        cvr_png_row_to_rgb8(row, &out, UInt32(width), colorType, bitDepth, table, policy, &max16)
        return (out, max16)
    }

    func gray(_ values: [UInt8]) -> [UInt8] { values.flatMap { [$0, $0, $0] } }

    @Test func lowBitGrayScalesLikePIL() {
        // PIL: mode "1" -> 0/255; "L;2" -> x 0x55; "L;4" -> x 0x11.
        #expect(convert([0, 1, 1, 0], width: 4, colorType: 0, bitDepth: 1).rgb == gray([0, 255, 255, 0]))
        #expect(convert([0, 1, 2, 3], width: 4, colorType: 0, bitDepth: 2).rgb == gray([0, 85, 170, 255]))
        #expect(convert([0, 1, 14, 15], width: 4, colorType: 0, bitDepth: 4).rgb == gray([0, 17, 238, 255]))
        #expect(convert([0, 7, 200, 255], width: 4, colorType: 0, bitDepth: 8).rgb == gray([0, 7, 200, 255]))
    }

    @Test func sixteenBitGray() {
        let row: [UInt8] = [0x00, 0x00, 0x00, 0xFF, 0x01, 0x00, 0x01, 0x2C, 0xFF, 0xFF]  // 0 255 256 300 65535
        let clipped = convert(row, width: 5, colorType: 0, bitDepth: 16)
        #expect(clipped.rgb == gray([0, 255, 255, 255, 255]))
        #expect(clipped.max16 == 65535)
        let rescaled = convert(row, width: 5, colorType: 0, bitDepth: 16, rescale: true)
        #expect(rescaled.rgb == gray([0, 1, 1, 1, 255]))
    }

    @Test func rescaleRoundsToNearest() {
        for v in stride(from: 0, through: 65535, by: 257 * 3 + 1) {
            let row = [UInt8(v >> 8), UInt8(v & 0xFF)]
            let got = convert(row, width: 1, colorType: 0, bitDepth: 16, rescale: true).rgb[0]
            #expect(Int(got) == (v * 255 + 32767) / 65535)
        }
    }

    @Test func sixteenBitColourKeepsHighByte() {
        let rgb: [UInt8] = [0x12, 0x34, 0x00, 0xFF, 0xFF, 0x01]
        #expect(convert(rgb, width: 1, colorType: 2, bitDepth: 16).rgb == [0x12, 0x00, 0xFF])
        let la: [UInt8] = [0x80, 0x7F, 0x00, 0x00]
        #expect(convert(la, width: 1, colorType: 4, bitDepth: 16).rgb == [0x80, 0x80, 0x80])
        let rgba: [UInt8] = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0xFF, 0xFF]
        #expect(convert(rgba, width: 1, colorType: 6, bitDepth: 16).rgb == [0x01, 0x03, 0x05])
    }

    @Test func alphaIsDroppedNotComposited() {
        #expect(convert([9, 0, 200, 128], width: 2, colorType: 4, bitDepth: 8).rgb == gray([9, 200]))
        #expect(convert([1, 2, 3, 0, 4, 5, 6, 77], width: 2, colorType: 6, bitDepth: 8).rgb == [1, 2, 3, 4, 5, 6])
    }

    @Test func paletteLookup() {
        let palette: [UInt8] = [10, 20, 30, 40, 50, 60]
        #expect(convert([1, 0, 2], width: 3, colorType: 3, bitDepth: 8, palette: palette).rgb
                == [40, 50, 60, 10, 20, 30, 0, 0, 0])
    }

    @Test func cmykAsPIL() {
        // PIL reads JPEG CMYK as "CMYK;I" (inverted) and applies cmyk2rgb with MULDIV255.
        func pil(_ raw: [UInt8]) -> [UInt8] {
            let c = 255 - Int(raw[0]), m = 255 - Int(raw[1]), y = 255 - Int(raw[2]), k = 255 - Int(raw[3])
            let nk = 255 - k
            func muldiv255(_ a: Int, _ b: Int) -> Int { let t = a * b + 128; return ((t >> 8) + t) >> 8 }
            return [nk - muldiv255(c, nk), nk - muldiv255(m, nk), nk - muldiv255(y, nk)].map { UInt8($0) }
        }
        let samples: [[UInt8]] = [[0, 0, 0, 0], [255, 255, 255, 255], [255, 0, 128, 200], [17, 99, 250, 3],
                                  [128, 128, 128, 128]]
        for raw in samples {
            var out = [UInt8](repeating: 0, count: 3)
            cvr_jpeg_cmyk_row_to_rgb8(raw, &out, 1)
            #expect(out == pil(raw), "CMYK \(raw)")
        }
        var out = [UInt8](repeating: 0, count: 3)
        cvr_jpeg_cmyk_row_to_rgb8([255, 255, 255, 255], &out, 1)
        #expect(out == [255, 255, 255])  // no ink (Adobe-inverted bytes) is white
    }

    @Test func exifOrientationParser() {
        // Big-endian TIFF, one IFD entry: Orientation (0x0112), SHORT, count 1, value 6.
        let motorola: [UInt8] = Array("Exif".utf8) + [0, 0, 0x4D, 0x4D, 0, 42, 0, 0, 0, 8, 0, 1,
                                                      0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]
        #expect(cvr_exif_orientation(motorola, motorola.count) == 6)
        let intel: [UInt8] = [0x49, 0x49, 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 3, 0, 0, 0]
        #expect(cvr_exif_orientation(intel, intel.count) == 3)
        #expect(cvr_exif_orientation(Array(intel.prefix(12)), 12) == 0)
        #expect(cvr_exif_orientation([1, 2, 3], 3) == 0)
    }
}
