import ArgumentParser

/// The exit statuses of every `cvrnet` command, in one place so the help text and the code
/// cannot drift apart. 64, 66 and 74 follow BSD `sysexits.h`.
enum ExitStatus: Int32, CaseIterable {
    /// Everything asked for was done.
    case success = 0
    /// One or more images could not be read or classified; the others' results were written.
    case imagesFailed = 1
    /// The weights file or the class labels are unusable (missing, not a Keras file, not a
    /// CVR-Net, wrong number of labels, ...). Nothing was classified.
    case weightsUnusable = 2
    /// Usage error: unknown flag, bad value, missing argument, conflicting options
    /// (swift-argument-parser's validation exit code, `EX_USAGE`).
    case usage = 64
    /// The directory given to `score` does not exist or is not a readable directory (`EX_NOINPUT`).
    case noInput = 66
    /// An output file or directory cannot be created or written (`EX_IOERR`).
    case ioError = 74

    var code: ExitCode { ExitCode(rawValue) }

    /// One line of the EXIT STATUS table in the help texts.
    var helpLine: String {
        let text: String
        switch self {
        case .success: text = "success"
        case .imagesFailed: text = "one or more images failed (the others' results were still written)"
        case .weightsUnusable: text = "the weights file or the labels are unusable"
        case .usage: text = "usage error (bad or conflicting options, output file exists)"
        case .noInput: text = "the input directory does not exist or cannot be read"
        case .ioError: text = "an output file or directory cannot be written"
        }
        let number = String(rawValue)
        return "  " + number + String(repeating: " ", count: max(1, 5 - number.count)) + text
    }

    /// The EXIT STATUS section for a command's discussion, listing `statuses`.
    static func helpSection(_ statuses: [ExitStatus] = ExitStatus.allCases) -> String {
        "EXIT STATUS\n" + statuses.map(\.helpLine).joined(separator: "\n")
    }
}
