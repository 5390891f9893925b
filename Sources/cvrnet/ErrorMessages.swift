import CVRNet
import Foundation
import ImageInput
import KerasFormat

/// The one place where the library's errors become the command line's words. The library says
/// what is wrong with which file; this adds what only the command line knows (which flag to
/// change, where the labels came from, where the weights path came from) and decides the exit
/// status. Commands print `message` with `Console.error` and exit with `status`.
enum ErrorMessages {
    struct Message: Equatable {
        let text: String
        let status: ExitStatus
    }

    /// The weights at `path` could not be loaded.
    /// - Parameter labelsSource: where the labels came from (`--labels`, a labels file), if given.
    /// - Parameter weightsSource: where the path came from (appended to the message).
    static func model(_ error: CVRNetError, path: String, labelsSource: String?,
                      weightsSource: WeightsOptions.Source = .option) -> Message {
        if case .labelCount(let given, let expected, _) = error {
            return Message(text: labelCount(given: given, expected: expected, path: path, labelsSource: labelsSource),
                           status: .weightsUnusable)
        }
        if case .precisionUnavailable = error {
            return Message(text: "--precision: " + error.description, status: .usage)
        }
        return Message(text: error.description + weightsSource.note, status: .weightsUnusable)
    }

    /// One of the problems `CVRNetModel.diagnose` lists (`inspect`).
    static func weightsProblem(_ problem: WeightsProblem, path: String, labelsSource: String?) -> String {
        if case .model(let error) = problem {
            return model(error, path: path, labelsSource: labelsSource).text
        }
        return problem.description
    }

    /// Labels that do not fit the weights: one wording for every command.
    static func labelCount(given: Int, expected: Int, path: String, labelsSource: String?) -> String {
        "\(labelsSource ?? "the labels") name \(given) classes but the weights file '\(path)' has \(expected)"
    }

    /// An image that could not be read or classified, naming it.
    static func image(_ error: any Error, path: String) -> String {
        let message: String
        switch error {
        case let error as ImageInputError: message = image(error)
        case CVRNetError.image(let error): message = image(error)
        case let error as CVRNetError: message = error.description
        case let error as CustomStringConvertible: message = error.description
        default: message = "\(error)"
        }
        return message.contains(path) ? message : "\(path): \(message)"
    }

    /// An image error, with the flag that lifts a limit where there is one.
    static func image(_ error: ImageInputError) -> String {
        if case .tooManyPixels = error {
            return error.description + "; if the image is genuine, raise the limit with --max-pixels"
        }
        return error.description
    }

    /// An output file that could not be opened or written.
    static func output(_ error: OutputFileError) -> Message {
        Message(text: error.description, status: .ioError)
    }
}
