/// 8-bit colour DICOM frames to interleaved 8-bit RGB (PS3.3 C.7.6.3.1.2), with the exact
/// integer arithmetic of DCMTK's `dcmj2pnm` (3.6.7), so that the picture equals the RGB PNG
/// it writes byte for byte (checked by the tests on every colour fixture). Colour has no
/// modality or VOI stage (PS3.3 C.11): after this the picture goes to Keras's RGB path as
/// the PNG would (`load_img` keeps an RGB PNG as RGB).
///
/// Three conversions, because DCMTK uses three:
/// - YBR_FULL, native or RLE/deflate (dcmimage `DiYBRPixelTemplate`, 8-bit unsigned case):
///   four lookup tables, each entry a C cast (truncation toward zero) of `1.4020 l - 0.7010 *
///   255`, `0.3441 l`, `0.7141 l - 0.5291 * 255`, `1.7720 l - 0.8859 * 255`; R = Y + rcr[Cr],
///   G = Y - gcb[Cb] - gcr[Cr], B = Y + bcb[Cb], clamped to 0...255.
/// - YBR_FULL_422, native (dcmimage `DiYBR422PixelTemplate`): Y1 Y2 Cb Cr per pair of
///   pixels, both pixels take the pair's Cb Cr; the same coefficients in double precision on
///   the whole sum, then clamped and truncated. GDCM hands the frame back already expanded
///   to Y Cb Cr per pixel, the pair's chroma repeated, which is what DCMTK pairs up.
/// - YBR_FULL / YBR_FULL_422 in JPEG (baseline, extended or lossless): dcmj2pnm lets its IJG
///   decoder convert (its default `+cp`: "convert if YCbCr photometric interpretation"), so
///   the colour conversion is libjpeg's `jdcolor.c` (16-bit fixed point, rounded); GDCM hands
///   back the upsampled YCbCr unconverted, and libjpeg's upsampling is the same in both
///   (checked on the fixtures and on a real 4:2:2 ultrasound file).
enum DICOMColour {
    /// The conversion a file needs, from its photometric interpretation and transfer syntax.
    enum Conversion: String, Sendable {
        case rgb = "RGB shown as stored"
        case ybrFull = "YBR_FULL to RGB (DCMTK dcmimage tables)"
        case ybrFull422 = "YBR_FULL_422 to RGB (DCMTK dcmimage, chroma shared by each pixel pair)"
        case jpegYCbCr = "YCbCr to RGB by the JPEG decoder (libjpeg jdcolor)"
    }

    /// JPEG baseline (process 1), extended (2 & 4), lossless (14, 14 SV1): the syntaxes whose
    /// YCbCr DCMTK converts in the JPEG decoder.
    static let jpegTransferSyntaxes: Set<String> = ["1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51",
                                                    "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70"]

    /// The conversion for an 8-bit, 3-sample file; nil when the interpretation is not a
    /// colour model cvrnet reads.
    static func conversion(photometric: String, transferSyntax: String) -> Conversion? {
        let jpeg = jpegTransferSyntaxes.contains(transferSyntax)
        switch photometric {
        case "RGB": return .rgb
        case "YBR_FULL": return jpeg ? .jpegYCbCr : .ybrFull
        case "YBR_FULL_422": return jpeg ? .jpegYCbCr : .ybrFull422
        default: return nil
        }
    }

    /// One frame as decoded (`planar` 1: three planes) to interleaved RGB.
    static func rgb(_ raw: [UInt8], width: Int, height: Int, planar: Bool, conversion: Conversion) -> [UInt8] {
        let count = width * height
        var interleaved = raw
        if planar {  // RRR...GGG...BBB... (or YYY...) to RGBRGB...
            for i in 0..<count {
                interleaved[3 * i] = raw[i]
                interleaved[3 * i + 1] = raw[count + i]
                interleaved[3 * i + 2] = raw[2 * count + i]
            }
        }
        switch conversion {
        case .rgb: return interleaved
        case .ybrFull: return convert(interleaved, count: count, tables: dcmtkTables)
        case .ybrFull422: return convertInDouble(interleaved, count: count)
        case .jpegYCbCr: return convert(interleaved, count: count, tables: libjpegTables)
        }
    }

    /// Per-byte terms: R = Y + r[Cr], G = Y - g[Cb, Cr], B = Y + b[Cb], clamped.
    private struct Tables: Sendable {
        var rFromCr: [Int32]
        var bFromCb: [Int32]
        var gFromCb: [Int32]  // G = Y + (gFromCb[Cb] + gFromCr[Cr]) >> shift
        var gFromCr: [Int32]
        var gShift: Int32
    }

    private static func convert(_ ybr: [UInt8], count: Int, tables: Tables) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 3 * count)
        for i in 0..<count {
            let y = Int32(ybr[3 * i]), cb = Int(ybr[3 * i + 1]), cr = Int(ybr[3 * i + 2])
            out[3 * i] = clamp(y + tables.rFromCr[cr])
            out[3 * i + 1] = clamp(y + ((tables.gFromCb[cb] + tables.gFromCr[cr]) >> tables.gShift))
            out[3 * i + 2] = clamp(y + tables.bFromCb[cb])
        }
        return out
    }

    private static func clamp(_ value: Int32) -> UInt8 { UInt8(max(0, min(255, value))) }

    /// DCMTK dcmimage `DiYBRPixelTemplate::convert`, bits == 8 and unsigned: Sint16 tables
    /// filled by C casts of doubles (truncation toward zero); G subtracts both terms.
    private static let dcmtkTables: Tables = {
        let maxValue = 255.0
        let rConst = 0.7010 * maxValue, gConst = 0.5291 * maxValue, bConst = 0.8859 * maxValue
        let levels = (0..<256).map(Double.init)
        return Tables(rFromCr: levels.map { Int32((1.4020 * $0 - rConst).rounded(.towardZero)) },
                      bFromCb: levels.map { Int32((1.7720 * $0 - bConst).rounded(.towardZero)) },
                      gFromCb: levels.map { -Int32((0.3441 * $0).rounded(.towardZero)) },
                      gFromCr: levels.map { -Int32((0.7141 * $0 - gConst).rounded(.towardZero)) },
                      gShift: 0)
    }()

    /// libjpeg `jdcolor.c` `build_ycc_rgb_table` (SCALEBITS 16, ONE_HALF rounding, x = l - 128):
    /// R and B terms rounded per entry; G's two terms summed, then shifted right (arithmetic).
    private static let libjpegTables: Tables = {
        let scaleBits: Int64 = 16, half: Int64 = 1 << 15
        func fix(_ x: Double) -> Int64 { Int64(x * Double(1 << scaleBits) + 0.5) }
        let x = (0..<256).map { Int64($0) - 128 }
        return Tables(rFromCr: x.map { Int32((fix(1.40200) * $0 + half) >> scaleBits) },
                      bFromCb: x.map { Int32((fix(1.77200) * $0 + half) >> scaleBits) },
                      gFromCb: x.map { Int32(-fix(0.34414) * $0 + half) },
                      gFromCr: x.map { Int32(-fix(0.71414) * $0) },
                      gShift: Int32(scaleBits))
    }()

    /// DCMTK dcmimage `DiYBR422PixelTemplate::convertValue` on each pixel (its chroma the
    /// pair's): the whole sum in double precision, clamped to 0...maxvalue, then a C cast.
    private static func convertInDouble(_ ybr: [UInt8], count: Int) -> [UInt8] {
        let maxValue = 255.0
        var out = [UInt8](repeating: 0, count: 3 * count)
        for i in 0..<count {
            let y = Double(ybr[3 * i]), cb = Double(ybr[3 * i + 1]), cr = Double(ybr[3 * i + 2])
            let rgb = (y + 1.4020 * cr - 0.7010 * maxValue,
                       y - 0.3441 * cb - 0.7141 * cr + 0.5291 * maxValue,
                       y + 1.7720 * cb - 0.8859 * maxValue)
            out[3 * i] = castClamped(rgb.0, maxValue)
            out[3 * i + 1] = castClamped(rgb.1, maxValue)
            out[3 * i + 2] = castClamped(rgb.2, maxValue)
        }
        return out
    }

    private static func castClamped(_ value: Double, _ maxValue: Double) -> UInt8 {
        value < 0 ? 0 : value > maxValue ? UInt8(maxValue) : UInt8(value.rounded(.towardZero))
    }
}
