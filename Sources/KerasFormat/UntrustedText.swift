/// Text taken from a file (layer and weight names, HDF5 paths, libhdf5's own messages) and
/// shown to a user inside an error message.
///
/// Such text can be anything a damaged or crafted file holds: line breaks, terminal escape
/// sequences, megabytes of bytes. Error descriptions promise one line that names the file, so
/// every piece of file text is shown escaped (control characters as `\n`, `\u{1B}`, ...)
/// and long names are shortened.
public enum UntrustedText {
    /// Names longer than this many characters are shortened to their first `keptPrefix`.
    static let longestShown = 96
    static let keptPrefix = 64

    /// `text` with every control character escaped and, if it is long, shortened to its
    /// beginning followed by `…` and its full length, e.g. `conv1…(10234 characters)`.
    public static func shown(_ text: String) -> String {
        let count = text.count
        if count <= longestShown { return escapingControlCharacters(text) }
        return escapingControlCharacters(String(text.prefix(keptPrefix))) + "…(\(count) characters)"
    }

    /// `text` on one line: control characters (line breaks, tabs, escapes) written as Swift
    /// escapes; everything else, any script included, kept as it is.
    public static func escapingControlCharacters(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            result += isControl(scalar) ? scalar.escaped(asASCII: true) : String(scalar)
        }
        return result
    }

    /// C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
    }
}
