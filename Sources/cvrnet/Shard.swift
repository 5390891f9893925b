import ArgumentParser
import Checksums

/// `--shard K/N`: this run scores the files whose FNV-1a-64 hash of the relative path (UTF-8)
/// modulo N is K-1. A file's shard depends only on its own path, so adding files to the
/// directory never moves the others between shards.
struct Shard: ExpressibleByArgument, CustomStringConvertible, Equatable {
    /// 1-based index, 1...count.
    let index: Int
    let count: Int

    init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    init?(argument: String) {
        let parts = argument.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, k >= 1, k <= n else {
            return nil
        }
        self.init(index: k, count: n)
    }

    static var defaultCompletionKind: CompletionKind { .default }

    var description: String { "\(index)/\(count)" }

    /// Whether the file at `relativePath` (relative to the scored directory) belongs to this shard.
    func contains(relativePath: String) -> Bool {
        FNV1a64.hash(relativePath.utf8) % UInt64(count) == UInt64(index - 1)
    }
}
