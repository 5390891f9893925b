#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An image file found under the scored directory.
struct DiscoveredImage: Sendable, Equatable {
    /// Path relative to the scored directory, components joined with "/"; what `score`
    /// writes in its `path` column and what `--shard` hashes.
    let relativePath: String
    /// Path to open: the directory as given joined with `relativePath`.
    let fullPath: String
}

/// Recursive listing of the PNG, JPEG and DICOM files under a directory: by extension
/// (.png, .jpg, .jpeg, .dcm, .dicom), and files without an extension when they carry the
/// DICOM "DICM" signature at byte 128 (PACS exports such as `IM000001` have no extension).
///
/// Follows symbolic links (to files and to directories) but enters every directory at most
/// once, keyed by device and inode, so symlink loops and links to an ancestor are harmless.
/// Skips names starting with "." (hidden files, macOS `._*` resource forks). A dangling
/// symlink with an image extension is listed (and then fails to load, with a clear error).
enum ImageDiscovery {
    private struct DirectoryID: Hashable { let device: UInt64; let inode: UInt64 }

    static let extensions: Set<String> = ["png", "jpg", "jpeg", "dcm", "dicom"]

    struct Result {
        /// Sorted by `relativePath`, byte-wise (the order of `LC_ALL=C sort`).
        var images: [DiscoveredImage]
        /// Sub-directories (or names) that could not be read; one sentence each.
        var problems: [String]
    }

    enum Failure: Error, CustomStringConvertible {
        case notADirectory(String)
        case unreadable(String, String)
        var description: String {
            switch self {
            case .notADirectory(let path): return "'\(path)' is not a directory"
            case .unreadable(let path, let reason): return "cannot read directory '\(path)': \(reason)"
            }
        }
    }

    /// The names in a directory (without "." and ".." and hidden names), sorted byte-wise.
    private static func listDirectory(_ path: String) -> Swift.Result<(names: [String], undecodable: Int), DirectoryError> {
        guard let dir = opendir(path) else { return .failure(DirectoryError(String(cString: strerror(errno)))) }
        defer { closedir(dir) }
        var names: [String] = []
        var undecodable = 0
        while let entry = readdir(dir) {
            let name: String? = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(validatingCString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            guard let name else { undecodable += 1; continue }
            if name.hasPrefix(".") { continue }
            names.append(name)
        }
        names.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        return .success((names, undecodable))
    }

    private struct DirectoryError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    static func hasImageExtension(_ name: String) -> Bool {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return false }
        return extensions.contains(name[name.index(after: dot)...].lowercased())
    }

    /// Whether the file's bytes 128..<132 are "DICM" (reads 132 bytes).
    static func hasDICOMSignature(_ path: String) -> Bool {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var header = [UInt8](repeating: 0, count: 132)
        let count = header.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, 132, 0) }
        return count == 132 && header[128...131].elementsEqual("DICM".utf8)
    }

    static func find(in root: String) throws(Failure) -> Result {
        var st = stat()
        guard stat(root, &st) == 0 else { throw .unreadable(root, String(cString: strerror(errno))) }
        guard (st.st_mode & S_IFMT) == S_IFDIR else { throw .notADirectory(root) }

        var visited: Set<DirectoryID> = [DirectoryID(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))]
        var images: [DiscoveredImage] = []
        var problems: [String] = []
        let base = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root

        // Real directories first (depth-first, entries in sorted order); directories reached
        // through a symlink wait until no real directory is left, so a tree is listed under
        // its real path when it has one, and the result never depends on readdir order.
        var realDirectories: [String] = [""]
        var linkedDirectories: [(relative: String, id: DirectoryID)] = []
        var nextLinked = 0
        while true {
            let relativeDirectory: String
            if let next = realDirectories.popLast() {
                relativeDirectory = next
            } else if nextLinked < linkedDirectories.count {
                let link = linkedDirectories[nextLinked]
                nextLinked += 1
                guard visited.insert(link.id).inserted else { continue }
                relativeDirectory = link.relative
            } else {
                break
            }
            let directoryPath = relativeDirectory.isEmpty ? base : base + "/" + relativeDirectory
            let names: [String]
            switch listDirectory(directoryPath) {
            case .success(let listing):
                names = listing.names
                if listing.undecodable > 0 {
                    problems.append("skipped \(listing.undecodable) name(s) in '\(directoryPath)' that are not valid UTF-8")
                }
            case .failure(let reason):
                if relativeDirectory.isEmpty { throw .unreadable(root, reason.description) }
                problems.append("cannot read directory '\(directoryPath)': \(reason.description); its images were not scored")
                continue
            }
            var subdirectories: [String] = []
            for name in names {
                let relative = relativeDirectory.isEmpty ? name : relativeDirectory + "/" + name
                let full = base + "/" + relative
                var linkStat = stat()
                var entryStat = stat()
                guard lstat(full, &linkStat) == 0 else { continue }  // vanished meanwhile
                let isLink = (linkStat.st_mode & S_IFMT) == S_IFLNK
                if isLink {
                    guard stat(full, &entryStat) == 0 else {
                        // Dangling symlink: list it if it looks like an image, so the user
                        // sees an error row instead of a silently missing file.
                        if hasImageExtension(name) { images.append(DiscoveredImage(relativePath: relative, fullPath: full)) }
                        continue
                    }
                } else {
                    entryStat = linkStat
                }
                switch entryStat.st_mode & S_IFMT {
                case S_IFDIR:
                    let id = DirectoryID(device: UInt64(entryStat.st_dev), inode: UInt64(entryStat.st_ino))
                    if isLink {
                        linkedDirectories.append((relative, id))
                    } else if visited.insert(id).inserted {
                        subdirectories.append(relative)
                    }
                case S_IFREG:
                    if hasImageExtension(name) || (!name.contains(".") && hasDICOMSignature(full)) {
                        images.append(DiscoveredImage(relativePath: relative, fullPath: full))
                    }
                default:
                    continue
                }
            }
            // Pushed in reverse so that they are popped in sorted order.
            realDirectories.append(contentsOf: subdirectories.reversed())
        }
        images.sort { $0.relativePath.utf8.lexicographicallyPrecedes($1.relativePath.utf8) }
        return Result(images: images, problems: problems)
    }
}
