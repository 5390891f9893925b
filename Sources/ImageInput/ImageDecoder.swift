import CImageCodecs

/// Decodes PNG and JPEG bytes to ``RGBImage`` through the C codecs (libpng, libjpeg-turbo),
/// with PIL's `Image.open` + `convert("RGB")` rules; see `Sources/CImageCodecs`.
enum ImageDecoder {
    /// Capacity of the C message buffer.
    private static let messageCapacity = 256

    /// The decoded image and the format it came from.
    static func decode(_ data: [UInt8], name: String, options: ImageLoadOptions)
        throws(ImageInputError) -> (image: RGBImage, format: ImageFormat) {
        guard !data.isEmpty else { throw .emptyFile(name: name) }
        guard let format = ImageFormat.detect(data) else {
            throw .unknownFormat(name: name, leadingBytes: Array(data.prefix(8)))
        }
        if format == .dicom { return (try DICOMDecoder.decode(data, name: name, options: options), .dicom) }
        var codecOptions = cvr_decode_options(
            max_pixels: Int64(options.maxPixels),
            sixteen_bit: Int32(bitPattern: (options.sixteenBit == .clip ? CVR_SIXTEEN_BIT_PIL : CVR_SIXTEEN_BIT_RESCALE).rawValue))
        var info = cvr_image_info()
        var message = [CChar](repeating: 0, count: messageCapacity)

        let probed = data.withUnsafeBufferPointer { bytes in
            cvr_probe(bytes.baseAddress, bytes.count, &codecOptions, &info, &message, messageCapacity)
        }
        try check(probed, info: info, message: message, name: name, format: format, options: options)

        let width = Int(info.width), height = Int(info.height)
        let (pixelCount, overflow) = width.multipliedReportingOverflow(by: height)
        let (byteCount, overflow3) = pixelCount.multipliedReportingOverflow(by: 3)
        guard !overflow, !overflow3 else {
            throw .tooManyPixels(name: name, width: width, height: height, limit: options.maxPixels)
        }
        var decoded = CVR_OK
        let pixels = [UInt8](unsafeUninitializedCapacity: byteCount) { buffer, initialized in
            decoded = data.withUnsafeBufferPointer { bytes in
                cvr_decode_rgb8(bytes.baseAddress, bytes.count, &codecOptions, buffer.baseAddress, byteCount,
                                &info, &message, messageCapacity)
            }
            initialized = byteCount  // UInt8 is trivial; on failure the array is discarded
        }
        try check(decoded, info: info, message: message, name: name, format: format, options: options)
        let image = RGBImage(width: width, height: height, pixels: pixels, format: format,
                             pilMode: text(of: info.pil_mode), notes: notes(info, format: format, options: options))
        return (image, format)
    }

    /// Maps a C status to the user-facing error.
    private static func check(_ status: cvr_status, info: cvr_image_info, message: [CChar], name: String,
                              format: ImageFormat, options: ImageLoadOptions) throws(ImageInputError) {
        let detail = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        switch status {
        case CVR_OK: return
        case CVR_ERR_TRUNCATED: throw .truncated(name: name, format: format, detail: detail)
        case CVR_ERR_TOO_MANY_PIXELS:
            throw .tooManyPixels(name: name, width: Int(info.width), height: Int(info.height), limit: options.maxPixels)
        case CVR_ERR_UNSUPPORTED: throw .unsupported(name: name, format: format, detail: detail)
        case CVR_ERR_OUT_OF_MEMORY: throw .outOfMemory(name: name, width: Int(info.width), height: Int(info.height))
        case CVR_ERR_UNKNOWN_FORMAT: throw .unknownFormat(name: name, leadingBytes: [])
        default: throw .corrupt(name: name, format: format, detail: detail)
        }
    }

    /// The notes a decode deserves, from what the codec reported.
    private static func notes(_ info: cvr_image_info, format: ImageFormat, options: ImageLoadOptions) -> [ImageNote] {
        var notes: [ImageNote] = []
        if info.bit_depth == 16 {
            switch options.sixteenBit {
            case .rescale:
                notes.append(.sixteenBitRescaled)
            case .clip:
                if info.color_type != 0 {
                    notes.append(.sixteenBitHighByteKept)
                } else if info.sixteen_bit_max > 255 {
                    notes.append(.sixteenBitClipped(maxValue: Int(info.sixteen_bit_max)))
                }
            }
        }
        if info.has_alpha != 0 { notes.append(.alphaDropped) }
        if info.has_transparency != 0 { notes.append(.transparencyIgnored) }
        if format == .jpeg && info.color_type == 4 { notes.append(.cmykConverted) }
        if (2...8).contains(info.exif_orientation) { notes.append(.exifOrientationIgnored(Int(info.exif_orientation))) }
        if info.checksum_errors_ignored > 0 { notes.append(.checksumErrorsIgnored(count: Int(info.checksum_errors_ignored))) }
        if info.rows_missing > 0 { notes.append(.imageDataEndedEarly(missingRows: Int(info.rows_missing))) }
        if info.trailing_error != 0 { notes.append(.trailingErrorIgnored(text(of: info.first_warning))) }
        if format == .jpeg && info.warnings > 0 {
            notes.append(.decoderWarnings(count: Int(info.warnings), first: text(of: info.first_warning)))
        }
        return notes
    }

    /// A NUL-terminated C character array (imported as a tuple) as a String.
    private static func text<T>(of tuple: T) -> String {
        withUnsafeBytes(of: tuple) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
