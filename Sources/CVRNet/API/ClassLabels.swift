/// Class names in the order of the model's outputs.
///
/// Keras `flow_from_directory` numbers classes by their sub-folder names sorted alphabetically,
/// so with the paper's abbreviations as folder names the order is alphabetical:
/// 2 classes NCP, NOR; 3 classes CPN, NCP, NOR; 4 classes CPB, CPV, NCP, NOR. A user whose
/// folders were named differently gives their own labels.
public enum ClassLabels {
    /// The default labels for `count` classes (`class_0`... for counts the paper did not use).
    public static func defaults(count: Int) -> [String] {
        switch count {
        case 2: return ["NCP", "NOR"]
        case 3: return ["CPN", "NCP", "NOR"]
        case 4: return ["CPB", "CPV", "NCP", "NOR"]
        default: return (0..<count).map { "class_\($0)" }
        }
    }

    /// What the paper's abbreviations stand for, for help texts.
    public static let meanings: [String: String] = [
        "NOR": "normal", "NCP": "novel coronavirus pneumonia (COVID-19)", "CPN": "community-acquired pneumonia",
        "CPB": "bacterial pneumonia", "CPV": "viral pneumonia",
    ]
}
