import Foundation

/// A test folder laid out for Keras `flow_from_directory`: one sub-folder per class, images
/// anywhere below it.
///
/// Classes are the sub-folder names sorted as Python's `sorted()` sorts them (by code
/// point, which is the byte order of UTF-8), hidden names skipped: the class indices Keras
/// gave the model in training. Images are found as `score` finds them (PNG and JPEG; Keras
/// would also take BMP, PPM and TIFF, which cvrnet does not decode).
struct LabelledFolder {
    struct Image {
        let file: DiscoveredImage
        /// Index into `classes`.
        let classIndex: Int
    }

    let classes: [String]
    /// Sorted by class, then by path inside the class folder.
    let images: [Image]
    /// Unreadable sub-folders, one sentence each.
    let problems: [String]

    struct Failure: Error { let message: String }

    static func read(_ directory: String) throws(Failure) -> LabelledFolder {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw Failure(message: "'\(directory)' is not a directory")
        }
        let names: [String]
        do {
            names = try fm.contentsOfDirectory(atPath: directory)
        } catch {
            throw Failure(message: "cannot read directory '\(directory)': \(WeightsOptions.describe(error))")
        }
        let classes = names.filter { name in
            var sub: ObjCBool = false
            return !name.hasPrefix(".") && fm.fileExists(atPath: directory + "/" + name, isDirectory: &sub) && sub.boolValue
        }.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
        guard !classes.isEmpty else {
            throw Failure(message: "'\(directory)' has no class sub-folders (evaluate expects DIR/<class>/<images>, as Keras flow_from_directory)")
        }
        var images: [Image] = []
        var problems: [String] = []
        for (index, name) in classes.enumerated() {
            let classDirectory = directory + "/" + name
            do {
                let found = try ImageDiscovery.find(in: classDirectory)
                problems += found.problems
                for file in found.images {
                    images.append(Image(file: DiscoveredImage(relativePath: name + "/" + file.relativePath, fullPath: file.fullPath),
                                        classIndex: index))
                }
            } catch {
                problems.append(error.description)
            }
        }
        return LabelledFolder(classes: classes, images: images, problems: problems)
    }
}
