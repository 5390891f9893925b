import Foundation

/// A DICOM attribute the pipeline cannot use; one clause for the error line.
struct DICOMPipelineError: Error, CustomStringConvertible, Equatable {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The grayscale display pipeline of PS3.3 C.11 from stored values to 8-bit display values,
/// with the arithmetic of DCMTK's `dcmj2pnm` (dcmimgle 3.6.7, no presentation or display
/// LUT), so that the output equals `dcmj2pnm --write-png` byte for byte (checked by the
/// tests on every fixture). Where DCMTK departs from the standard, the comments say so.
enum DICOMDisplayPipeline {
    /// Runs modality, VOI and output stages on one frame's stored values.
    static func render(stored: [Int64], attributes: DICOMAttributes, photometric: String, window: DICOMWindow,
                       rendering: inout DICOMRendering) throws(DICOMPipelineError) -> [UInt8] {
        // 1. Modality (C.11.1): the Modality LUT Sequence, else rescale.
        let x: [Double]
        switch attributes.modalityLUT {
        case .some(.failure(let error)): throw error
        case .some(.success(let lut)):
            x = stored.map { Double(lookup(lut, $0)) }
            rendering.modality = "LUT (\(lut.data.count) entries from \(lut.firstMapped))"
        case .none:
            let slope = try number(attributes.rescaleSlope, name: "Rescale Slope") ?? 1
            let intercept = try number(attributes.rescaleIntercept, name: "Rescale Intercept") ?? 0
            if slope == 1 && intercept == 0 {
                x = stored.map { Double($0) }
                rendering.modality = "none"
            } else if slope == slope.rounded() && intercept == intercept.rounded() {
                x = stored.map { Double($0) * slope + intercept }
                rendering.modality = "rescale x*\(DICOMNumber.text(slope))+\(DICOMNumber.text(intercept))"
            } else {
                // DCMTK keeps modality values in an integer type: a non-integer slope or
                // intercept is applied in double precision and then truncated toward zero
                // (a C cast). Matched on the fixtures with slope 0.684 and 2.5.
                x = stored.map { (Double($0) * slope + intercept).rounded(.towardZero) }
                rendering.modality = "rescale x*\(DICOMNumber.text(slope))+\(DICOMNumber.text(intercept)), truncated to integers as DCMTK does"
            }
        }

        // 4. (decided first) Output polarity: MONOCHROME1 shows low values white; Presentation
        // LUT Shape INVERSE swaps once more (C.11.6).
        var inverse = photometric == "MONOCHROME1"
        if attributes.presentationLUTShape?.uppercased() == "INVERSE" { inverse.toggle() }
        rendering.inverted = inverse

        // 2./3. VOI (C.11.2).
        if case .file = window, let voiLUT = attributes.voiLUT {
            let lut: DICOMAttributes.LookupTable
            switch voiLUT {
            case .failure(let error): throw error
            case .success(let table): lut = table
            }
            rendering.voi = "VOI LUT (\(lut.data.count) entries from \(lut.firstMapped), \(lut.bits) bits)"
            // DCMTK scales LUT values by (high - low + 1) / 2^bits = 256 / 2^bits.
            let gradient = 256.0 / Double(1 << lut.bits)
            return x.map { value in
                let index = Int64(value.rounded(.down))
                let y = min(255, (Double(lookup(lut, index)) * gradient).rounded(.towardZero))
                return UInt8(inverse ? 255 - y : y)
            }
        }
        var center = 0.0, width = 0.0, function = "LINEAR"
        switch window {
        case .centerWidth(let c, let w):
            (center, width) = (c, w)
            rendering.voi = "window \(DICOMNumber.text(c)),\(DICOMNumber.text(w)) LINEAR (chosen by the user)"
        case .file, .minMax:
            if case .file = window, let c = try firstNumber(attributes.windowCenter, name: "Window Center"),
               let w = try firstNumber(attributes.windowWidth, name: "Window Width"), w >= 1 {
                (center, width) = (c, w)
                function = (attributes.voiLUTFunction ?? "LINEAR").uppercased()
                if !["LINEAR", "LINEAR_EXACT", "SIGMOID"].contains(function) { function = "LINEAR" }
                rendering.voi = "window \(DICOMNumber.text(c)),\(DICOMNumber.text(w)) \(function) (from the file)"
            } else {
                // DCMTK's min-max window (dcmj2pnm +Wm): centre (min + max + 1) / 2, width max - min + 1.
                let low = x.min() ?? 0, high = x.max() ?? 0
                center = (low + high + 1) / 2
                width = high - low + 1
                rendering.voi = "min-max window \(DICOMNumber.text(center)),\(DICOMNumber.text(width)) LINEAR"
            }
        }
        let (low, high): (Double, Double) = inverse ? (255, 0) : (0, 255)
        let outrange = high - low
        switch function {
        case "SIGMOID":
            // C.11.2.1.3.1: y = outrange / (1 + exp(-4 (x - c) / w)).
            return x.map { value in byte(low + outrange / (1 + exp(-4 * (value - center) / width))) }
        case "LINEAR_EXACT":
            // C.11.2.1.3.2 (DCMTK 3.6.7 renders this as LINEAR; see the README).
            let left = center - width / 2, right = center + width / 2
            return x.map { value in
                if value <= left { return UInt8(low) }
                if value > right { return UInt8(high) }
                return byte(((value - center) / width + 0.5) * outrange + low)
            }
        default:
            // C.11.2.1.2.1 with DCMTK's expression order: offset + x * gradient, truncated.
            let width1 = width - 1
            let left = center - 0.5 - width1 / 2, right = center - 0.5 + width1 / 2
            let offset = width1 == 0 ? 0 : high - ((center - 0.5) / width1 + 0.5) * outrange
            let gradient = width1 == 0 ? 0 : outrange / width1
            return x.map { value in
                if value <= left { return UInt8(low) }
                if value > right { return UInt8(high) }
                return byte(offset + value * gradient)
            }
        }
    }

    /// A C cast of a display value to 8 bits (truncation), kept inside 0...255.
    private static func byte(_ value: Double) -> UInt8 {
        guard value.isFinite else { return value > 0 ? 255 : 0 }
        return UInt8(max(0, min(255, value.rounded(.towardZero))))
    }

    /// LUT output for input `value`: below the first mapped value the first entry, above the
    /// last the last entry (C.11.1.1.1).
    static func lookup(_ lut: DICOMAttributes.LookupTable, _ value: Int64) -> Int64 {
        let index = max(0, min(Int64(lut.data.count - 1), value - lut.firstMapped))
        return lut.data[Int(index)]
    }

    /// A DS value; nil when absent.
    private static func number(_ text: String?, name: String) throws(DICOMPipelineError) -> Double? {
        guard let text else { return nil }
        return try firstNumber(text, name: name)
    }

    /// Value 1 of a multi-valued DS ("40\400" -> 40); nil when absent.
    private static func firstNumber(_ text: String?, name: String) throws(DICOMPipelineError) -> Double? {
        guard let text else { return nil }
        let first = text.split(separator: "\\", omittingEmptySubsequences: false).first ?? ""
        let trimmed = first.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return nil }
        guard let value = Double(trimmed), value.isFinite else {
            throw DICOMPipelineError("\(name) is \"\(text.prefix(40))\", not a number")
        }
        return value
    }
}
