import CDICOM

/// Decodes a DICOM file to the 8-bit grey picture of the standard grayscale display
/// pipeline (PS3.3 C.11), then to RGB as PIL's `convert("RGB")` does with an 8-bit grey
/// PNG ("L": the value replicated). So the model input equals Keras `load_img` on the PNG
/// that DCMTK's `dcmj2pnm` writes from the file. GDCM (through the `CDICOM` shim) parses
/// and decompresses; everything after the stored values happens here.
enum DICOMDecoder {
    private static let messageCapacity = 512
    /// Upper bound on the decoded pixel data of all frames (GDCM decodes every frame).
    private static let maxDecodedBytes: UInt64 = 4 << 30

    static func decode(_ data: [UInt8], name: String, options: ImageLoadOptions)
        throws(ImageInputError) -> RGBImage {
        let (grey, width, height, notes) = try render(data, name: name, options: options)
        if grey.count == 3 * width * height {  // colour DICOM: already RGB
            return RGBImage(width: width, height: height, pixels: grey, format: .dicom, pilMode: "RGB", notes: notes)
        }
        var pixels = [UInt8](repeating: 0, count: grey.count * 3)
        for (i, value) in grey.enumerated() {
            pixels[3 * i] = value
            pixels[3 * i + 1] = value
            pixels[3 * i + 2] = value
        }
        return RGBImage(width: width, height: height, pixels: pixels, format: .dicom, pilMode: "L", notes: notes)
    }

    /// The 8-bit grey picture (row-major, one byte per pixel) and what was done; for colour
    /// files (RGB, YBR_FULL, YBR_FULL_422) the 8-bit RGB picture (three bytes per pixel).
    static func render(_ data: [UInt8], name: String, options: ImageLoadOptions)
        throws(ImageInputError) -> (grey: [UInt8], width: Int, height: Int, notes: [ImageNote]) {
        var message = [CChar](repeating: 0, count: messageCapacity)
        var handle: OpaquePointer?
        let opened = data.withUnsafeBufferPointer { bytes in
            cvr_dicom_open(bytes.baseAddress, bytes.count, &handle, &message, messageCapacity)
        }
        guard opened == CVR_DICOM_OK, let handle else {
            throw error(opened, name: name, message: message, options: options, width: 0, height: 0)
        }
        defer { cvr_dicom_close(handle) }

        var info = cvr_dicom_info()
        guard cvr_dicom_get_info(handle, &info) == CVR_DICOM_OK else {
            throw .corrupt(name: name, format: .dicom, detail: "GDCM cannot describe its image")
        }
        let rows = Int(info.rows), columns = Int(info.columns), frames = Int(info.frames)
        // CS padding removed; "PALETTE COLOR" keeps its inner space for the error line.
        let photometric = text(of: info.photometric).split(separator: " ").joined(separator: " ")
        let bitsAllocated = Int(info.bits_allocated), bitsStored = Int(info.bits_stored)
        let highBit = Int(info.high_bit), signed = info.pixel_representation == 1
        let samples = Int(info.samples_per_pixel)

        guard rows > 0, columns > 0 else {
            throw .corrupt(name: name, format: .dicom, detail: "the image has \(rows) rows and \(columns) columns")
        }
        guard [8, 16, 32].contains(bitsAllocated) else {
            throw .unsupported(name: name, format: .dicom, detail: "Bits Allocated is \(bitsAllocated) (8, 16 or 32 are supported)")
        }
        guard bitsStored >= 1, bitsStored <= bitsAllocated, highBit >= bitsStored - 1, highBit < bitsAllocated else {
            throw .corrupt(name: name, format: .dicom,
                           detail: "Bits Stored \(bitsStored) / High Bit \(highBit) do not fit Bits Allocated \(bitsAllocated)")
        }
        let grayscale = photometric == "MONOCHROME1" || photometric == "MONOCHROME2"
        let transferSyntax = text(of: info.transfer_syntax)
        var colour: DICOMColour.Conversion?
        if !grayscale {
            guard samples == 3, let conversion = DICOMColour.conversion(photometric: photometric, transferSyntax: transferSyntax) else {
                throw .unsupported(name: name, format: .dicom,
                                   detail: "photometric interpretation \(photometric.isEmpty ? "(none)" : photometric) with \(samples) sample(s) per pixel; only grayscale (MONOCHROME1, MONOCHROME2) and 8-bit colour (RGB, YBR_FULL, YBR_FULL_422) are read")
            }
            guard bitsAllocated == 8, bitsStored == 8 else {
                throw .unsupported(name: name, format: .dicom,
                                   detail: "\(photometric) colour with Bits Allocated \(bitsAllocated) / Bits Stored \(bitsStored); only 8-bit colour is read")
            }
            // Pairs of pixels share chroma, interleaved (PS3.3 C.7.6.3.1.2; DCMTK refuses planar 1).
            guard conversion != .ybrFull422 || (columns % 2 == 0 && info.planar_configuration == 0) else {
                throw .unsupported(name: name, format: .dicom,
                                   detail: "uncompressed YBR_FULL_422 needs an even number of columns and Planar Configuration 0 (it has \(columns) columns, planar configuration \(info.planar_configuration))")
            }
            colour = conversion
        } else if samples != 1 {
            throw .unsupported(name: name, format: .dicom, detail: "\(photometric) with \(samples) samples per pixel (1 expected)")
        }
        let (pixelCount, overflow) = rows.multipliedReportingOverflow(by: columns)
        if overflow || (options.maxPixels > 0 && pixelCount > options.maxPixels) {
            throw .tooManyPixels(name: name, width: columns, height: rows, limit: options.maxPixels)
        }
        // YBR_FULL_422 too: GDCM returns every frame with three samples per pixel.
        let frameBytes = UInt64(pixelCount) * UInt64(bitsAllocated / 8) * UInt64(samples)
        if frameBytes.multipliedReportingOverflow(by: UInt64(max(frames, 1))).partialValue > maxDecodedBytes
            || UInt64(max(frames, 1)) > maxDecodedBytes {
            throw .unsupported(name: name, format: .dicom,
                               detail: "\(frames) frames of \(columns) x \(rows) pixels are more than 4 GiB decoded")
        }
        let frame = options.dicomFrame
        guard frame >= 1, frame <= frames else {
            throw .unsupported(name: name, format: .dicom, detail: "frame \(frame) asked for, but the file has \(frames) frame(s)")
        }

        var raw = [UInt8](repeating: 0, count: Int(frameBytes))
        let decoded = raw.withUnsafeMutableBufferPointer { buffer in
            cvr_dicom_read_frame(handle, Int64(frame - 1), Int64(options.maxPixels), buffer.baseAddress, buffer.count,
                                 &message, messageCapacity)
        }
        guard decoded == CVR_DICOM_OK else {
            throw error(decoded, name: name, message: message, options: options, width: columns, height: rows)
        }

        if let colour {
            // Colour has no modality or VOI stage (PS3.3 C.11): converted to RGB as dcmj2pnm does.
            let pixels = DICOMColour.rgb(raw, width: columns, height: rows, planar: info.planar_configuration == 1,
                                         conversion: colour)
            let rendering = DICOMRendering(frame: frame, frameCount: frames, photometric: photometric, bitsStored: 8,
                                           signed: false, modality: "none", voi: "none (colour: \(colour.rawValue))", inverted: false)
            return (pixels, columns, rows, [.dicomRendered(rendering)])
        }
        let stored = storedValues(raw, count: pixelCount, bitsAllocated: bitsAllocated, bitsStored: bitsStored,
                                  highBit: highBit, signed: signed)
        let attributes = DICOMAttributes(handle: handle, signed: signed)
        var rendering = DICOMRendering(frame: frame, frameCount: frames, photometric: photometric, bitsStored: bitsStored,
                                       signed: signed, modality: "none", voi: "", inverted: false)
        let grey: [UInt8]
        do {
            grey = try DICOMDisplayPipeline.render(stored: stored, attributes: attributes, photometric: photometric,
                                                    window: options.dicomWindow, rendering: &rendering)
        } catch {
            throw .corrupt(name: name, format: .dicom, detail: error.description)
        }
        var notes: [ImageNote] = [.dicomRendered(rendering)]
        let warnings = String(cString: cvr_dicom_warnings(handle))
        if !warnings.isEmpty {
            let lines = warnings.split(separator: "\n")
            notes.append(.decoderWarnings(count: lines.count, first: String(lines[0].prefix(200))))
        }
        return (grey, columns, rows, notes)
    }

    /// Stored values of one frame: the Bits Stored bits ending at High Bit, sign-extended
    /// when Pixel Representation is 1 (PS3.5 8.1.1).
    static func storedValues(_ raw: [UInt8], count: Int, bitsAllocated: Int, bitsStored: Int, highBit: Int,
                             signed: Bool) -> [Int64] {
        let shift = UInt64(highBit + 1 - bitsStored)
        let mask: UInt64 = bitsStored >= 64 ? ~0 : (1 << UInt64(bitsStored)) - 1
        let signBit: UInt64 = 1 << UInt64(bitsStored - 1)
        var values = [Int64](repeating: 0, count: count)
        raw.withUnsafeBufferPointer { bytes in
            for i in 0..<count {
                var word: UInt64
                switch bitsAllocated {
                case 8: word = UInt64(bytes[i])
                case 16: word = UInt64(bytes[2 * i]) | UInt64(bytes[2 * i + 1]) << 8
                default:
                    word = UInt64(bytes[4 * i]) | UInt64(bytes[4 * i + 1]) << 8
                        | UInt64(bytes[4 * i + 2]) << 16 | UInt64(bytes[4 * i + 3]) << 24
                }
                word = (word >> shift) & mask
                values[i] = signed && word & signBit != 0 ? Int64(word) - Int64(mask) - 1 : Int64(word)
            }
        }
        return values
    }

    private static func error(_ status: cvr_dicom_status, name: String, message: [CChar], options: ImageLoadOptions,
                              width: Int, height: Int) -> ImageInputError {
        let detail = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        switch status {
        case CVR_DICOM_ERR_PARSE: return .corrupt(name: name, format: .dicom, detail: detail)
        case CVR_DICOM_ERR_NOT_IMAGE: return .unsupported(name: name, format: .dicom, detail: detail)
        case CVR_DICOM_ERR_TOO_LARGE: return .tooManyPixels(name: name, width: width, height: height, limit: options.maxPixels)
        case CVR_DICOM_ERR_OUT_OF_MEMORY: return .outOfMemory(name: name, width: width, height: height)
        default: return .corrupt(name: name, format: .dicom, detail: detail.isEmpty ? "GDCM failed" : detail)
        }
    }

    private static func text<T>(of tuple: T) -> String {
        withUnsafeBytes(of: tuple) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
    }
}

/// The attributes of the display pipeline, read through the shim.
struct DICOMAttributes {
    /// A LUT of PS3.3 C.11.1.1.1 / C.11.2.1.1: `entries` values, the first mapped to `firstMapped`.
    struct LookupTable {
        var firstMapped: Int64
        var bits: Int
        var data: [Int64]
    }

    var rescaleSlope: String?
    var rescaleIntercept: String?
    var windowCenter: String?
    var windowWidth: String?
    var voiLUTFunction: String?
    var presentationLUTShape: String?
    var modalityLUT: Result<LookupTable, DICOMPipelineError>?
    var voiLUT: Result<LookupTable, DICOMPipelineError>?

    init(rescaleSlope: String? = nil, rescaleIntercept: String? = nil, windowCenter: String? = nil,
         windowWidth: String? = nil, voiLUTFunction: String? = nil, presentationLUTShape: String? = nil,
         modalityLUT: Result<LookupTable, DICOMPipelineError>? = nil, voiLUT: Result<LookupTable, DICOMPipelineError>? = nil) {
        self.rescaleSlope = rescaleSlope
        self.rescaleIntercept = rescaleIntercept
        self.windowCenter = windowCenter
        self.windowWidth = windowWidth
        self.voiLUTFunction = voiLUTFunction
        self.presentationLUTShape = presentationLUTShape
        self.modalityLUT = modalityLUT
        self.voiLUT = voiLUT
    }

    init(handle: OpaquePointer, signed: Bool) {
        func string(_ group: UInt16, _ element: UInt16) -> String? {
            var buffer = [CChar](repeating: 0, count: 1024)
            guard cvr_dicom_get_string(handle, group, element, &buffer, buffer.count) == 1 else { return nil }
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        func lut(_ sequence: UInt16, name: String, signedFirst: Bool) -> Result<LookupTable, DICOMPipelineError>? {
            var descriptor: [UInt16] = [0, 0, 0]
            var count = 0
            guard cvr_dicom_get_lut(handle, sequence, &descriptor, nil, 0, &count) == 1 else { return nil }
            let entries = descriptor[0] == 0 ? 65536 : Int(descriptor[0])
            let bits = Int(descriptor[2])
            guard (1...16).contains(bits) else {
                return .failure(DICOMPipelineError("the \(name) descriptor gives \(bits) bits per entry (1...16 allowed)"))
            }
            guard count >= entries else {
                return .failure(DICOMPipelineError("the \(name) descriptor declares \(entries) entries but its data holds \(count)"))
            }
            var words = [UInt16](repeating: 0, count: count)
            _ = cvr_dicom_get_lut(handle, sequence, &descriptor, &words, words.count, &count)
            let first = signedFirst ? Int64(Int16(bitPattern: descriptor[1])) : Int64(descriptor[1])
            let mask: UInt16 = bits == 16 ? 0xFFFF : (1 << UInt16(bits)) - 1
            return .success(LookupTable(firstMapped: first, bits: bits, data: words.prefix(entries).map { Int64($0 & mask) }))
        }
        self.init(rescaleSlope: string(0x0028, 0x1053), rescaleIntercept: string(0x0028, 0x1052),
                  windowCenter: string(0x0028, 0x1050), windowWidth: string(0x0028, 0x1051),
                  voiLUTFunction: string(0x0028, 0x1056), presentationLUTShape: string(0x2050, 0x0020),
                  modalityLUT: lut(0x3000, name: "Modality LUT", signedFirst: signed),
                  voiLUT: lut(0x3010, name: "VOI LUT", signedFirst: signed))
    }
}
