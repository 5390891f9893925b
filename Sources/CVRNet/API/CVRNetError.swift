import CVRNetKernels
import ImageInput
import KerasFormat

/// Everything that can go wrong loading a model or classifying an image. Each description is
/// one sentence naming the file and the problem, fit to print as it is.
public enum CVRNetError: Error, CustomStringConvertible, Equatable {
    /// The weights file could not be read as a Keras HDF5 weights file.
    case weightsFile(KerasFormatError)
    /// Neither naming scheme's stem layer is in the file.
    case unknownLayout(path: String, detail: String)
    /// A layer the graph needs is absent.
    case layerMissing(path: String, layer: String, scheme: NamingScheme)
    /// A layer has the wrong number of weight arrays.
    case weightCount(path: String, layer: String, found: Int, expected: Int)
    /// A weight array has the wrong shape.
    case shapeMismatch(path: String, layer: String, weight: String, found: [Int], expected: [Int])
    /// Auto-named layers (residual projections or head Dense layers) are not as CVR-Net makes them.
    case autoNamedLayers(path: String, detail: String)
    /// The five heads predict different numbers of classes.
    case headsDisagree(path: String, classCounts: [Int])
    /// Class labels given do not match the number of classes of the weights.
    case labelCount(given: Int, expected: Int, source: String)
    /// An image could not be turned into a model input.
    case image(ImageInputError)
    /// An input tensor has the wrong number of values.
    case inputSize(found: Int, expected: Int)
    /// A class index to explain is not one of the model's classes.
    case classIndex(given: Int, classes: Int)
    /// The precision asked for has no kernels on this CPU (bfloat16 without AMX-BF16 or
    /// AVX512_BF16); `cpu` names the CPU and its features.
    case precisionUnavailable(Precision, cpu: String)

    public var description: String {
        switch self {
        case .weightsFile(let e): return e.description
        case .unknownLayout(let path, let detail):
            return "\(path): not a CVR-Net weights file: \(detail)"
        case .layerMissing(let path, let layer, let scheme):
            return "\(path): layer '\(layer)' is missing (assuming \(scheme) layer names, detected from the file)"
        case .weightCount(let path, let layer, let found, let expected):
            return "\(path): layer '\(layer)' has \(found) weight arrays, expected \(expected)"
        case .shapeMismatch(let path, let layer, let weight, let found, let expected):
            return "\(path): shape of '\(layer)/\(weight)' is \(found), expected \(expected)"
        case .autoNamedLayers(let path, let detail):
            return "\(path): \(detail)"
        case .headsDisagree(let path, let counts):
            return "\(path): the five heads disagree on the class count (\(counts.map(String.init).joined(separator: ", ")))"
        case .labelCount(let given, let expected, let source):
            return "\(source) names \(given) classes but the weights have \(expected)"
        case .image(let e): return e.description
        case .inputSize(let found, let expected):
            return "input tensor has \(found) values, expected \(expected) (224x224x3, HWC)"
        case .classIndex(let given, let classes):
            return "class index \(given) is out of range: the weights have \(classes) classes (0...\(classes - 1))"
        case .precisionUnavailable(let precision, let cpu):
            return "\(precision) precision needs a CPU with AMX-BF16 or AVX512_BF16 (Intel Sapphire Rapids or later, "
                + "AMD Zen 4 or later); this one (\(cpu)) has neither, and cvrnet does not emulate bf16: use the default fp32"
        }
    }
}
