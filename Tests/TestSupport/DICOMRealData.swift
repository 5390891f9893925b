import Foundation

/// Real DICOM files (PyPI `pydicom-data`, not committed) with the PNGs `dcmj2pnm` renders
/// from them and Keras's input and prediction on the CR chest:
/// `weights/golden/dicom-real/manifest.json`, made by `tools/make_dicom_real_data.py`
/// (a `tools/prepare.sh` step).
public struct DICOMRealData: Decodable, Sendable {
    public struct File: Decodable, Sendable {
        public let file: String
        public let what: String
        public let transfer_syntax: String
        public let photometric: String
        public let rows: Int
        public let columns: Int
        public let frame: Int
        public let png: String
        public let dcmj2pnm_options: String
        public let decompressed_by: String?
    }
    public struct Chest: Decodable, Sendable {
        public let file: String
        public let png: String
        public let weights_file: String
        public let input_fnv1a64: String
        public let probabilities: [Float]
        public let heads: [[Float]]
    }
    /// Where the installed package keeps the files.
    public let data_folder: String
    public let files: [File]
    public let chest: Chest

    public static let folder = RepositoryPaths.golden.appendingPathComponent("dicom-real")
    public static let manifestURL = folder.appendingPathComponent("manifest.json")
    struct Missing: Error, CustomStringConvertible {
        var description: String {
            "\(manifestURL.path) is missing: run tools/prepare.sh (it installs pydicom-data and renders the real DICOM files)"
        }
    }

    /// The manifest. Absent is a failure, not a skip, like every other golden file: the test
    /// command runs tools/prepare.sh first, so a missing manifest means that step broke.
    public static func load() throws -> DICOMRealData {
        guard FileManager.default.fileExists(atPath: manifestURL.path) else { throw Missing() }
        return try JSONDecoder().decode(DICOMRealData.self, from: Data(contentsOf: manifestURL))
    }

    public func dicomPath(_ file: File) -> String { (data_folder as NSString).appendingPathComponent(file.file) }
    public func pngPath(_ name: String) -> String { Self.folder.appendingPathComponent(name).path }
    public var chestDICOMPath: String { (data_folder as NSString).appendingPathComponent(chest.file) }
}
