/// Which VOI (value of interest) transformation turns a DICOM image's modality values into
/// display values (PS3.3 C.11.2), chosen by the user (`--dicom-window`).
public enum DICOMWindow: Sendable, Equatable, CustomStringConvertible {
    /// What the file says, first present of: VOI LUT Sequence item 1; Window Center/Width
    /// value 1 with its VOI LUT Function; else ``minMax``. The default.
    case file
    /// A linear window spanning the frame's smallest to largest modality value (DCMTK's
    /// min-max window: centre (min + max + 1) / 2, width max - min + 1).
    case minMax
    /// A linear window with this centre and width (width >= 1), in modality units
    /// (Hounsfield units for CT).
    case centerWidth(center: Double, width: Double)

    /// CT lung window, centre -600 HU, width 1500 HU.
    public static let lung = DICOMWindow.centerWidth(center: -600, width: 1500)
    /// CT mediastinum (soft tissue) window, centre 40 HU, width 400 HU.
    public static let mediastinum = DICOMWindow.centerWidth(center: 40, width: 400)

    /// Parses `file`, `minmax`, `lung`, `mediastinum` or `C,W` (e.g. `40,400`); nil when invalid.
    public init?(argument: String) {
        switch argument.lowercased() {
        case "file": self = .file
        case "minmax", "min-max": self = .minMax
        case "lung": self = .lung
        case "mediastinum": self = .mediastinum
        default:
            let parts = argument.split(separator: ",", omittingEmptySubsequences: false)
            guard parts.count == 2,
                  let center = Double(parts[0].trimmingCharacters(in: " ")),
                  let width = Double(parts[1].trimmingCharacters(in: " ")),
                  center.isFinite, width.isFinite, width >= 1
            else { return nil }
            self = .centerWidth(center: center, width: width)
        }
    }

    public var description: String {
        switch self {
        case .file: return "file"
        case .minMax: return "minmax"
        case .centerWidth(let center, let width): return "\(DICOMNumber.text(center)),\(DICOMNumber.text(width))"
        }
    }
}

private extension Substring {
    func trimmingCharacters(in set: Character) -> Substring {
        var text = self
        while text.first == set { text = text.dropFirst() }
        while text.last == set { text = text.dropLast() }
        return text
    }
}

/// Numbers in notes and reports: integers without ".0".
enum DICOMNumber {
    static func text(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
