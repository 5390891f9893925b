import CVRNet
import Foundation
import KerasFormat

/// What the weights target does with one input: write it to a file (libhdf5 opens files by
/// name), open it as `cvrnet` opens weights, read everything a Keras weights file lists, then
/// load it as a CVR-Net model. Every failure must be an error with a one-line message naming
/// the file; nothing may crash.
public enum WeightsFuzzing {
    /// One file per process, rewritten for every input; in /dev/shm when there is one (no disk I/O).
    static let path: String = {
        let folder = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : NSTemporaryDirectory()
        return "\(folder)/cvrnet-fuzz-weights-\(getpid()).h5"
    }()

    public static func run(_ bytes: [UInt8]) {
        write(bytes)
        do {
            let file = try KerasWeightsFile(path: path)
            _ = (file.layout, file.kerasVersion, file.backend, file.modelConfigJSON, file.rootAttributes)
            for layer in file.layerNames.prefix(10_000) {
                let names: [String]
                do { names = try file.weightNames(ofLayer: layer) } catch {
                    requireOneLine(error.description, naming: path)
                    continue
                }
                for weight in names.prefix(100) {
                    do {
                        // Every declared shape is read, however large: the reader must refuse
                        // sizes the file does not hold before allocating (it once did not).
                        let shape = try file.weightShape(ofLayer: layer, named: weight)
                        let count = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue }
                        let array = try file.weight(ofLayer: layer, named: weight)
                        require(array.values.count == count && array.shape == shape,
                                "\(layer)/\(weight): shape \(array.shape) with \(array.values.count) values, expected \(shape)")
                        require(array.values.allSatisfy(\.isFinite), "\(layer)/\(weight): non-finite value read without error")
                    } catch {
                        requireOneLine(error.description, naming: path)
                    }
                }
            }
            _ = try? file.hdf5.childNames(ofGroup: "/")
            _ = try? file.hdf5.attributeNames(at: "/")
        } catch {
            requireOneLine(error.description, naming: path)
        }
        do {
            let model = try CVRNetModel(weightsPath: path)
            require(model.classCount >= 2, "model with \(model.classCount) classes")
        } catch {
            requireOneLine(error.description, naming: path)
        }
    }

    /// Replaces the file's contents with `bytes`.
    static func write(_ bytes: [UInt8]) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        require(descriptor >= 0, "cannot create \(path): errno \(errno)")
        defer { close(descriptor) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
            require(written > 0, "cannot write \(path): errno \(errno)")
            offset += written
        }
    }
}
