/// Places an execution plan's tensors in one arena by their lifetimes: two tensors share memory
/// only when no step between the first and the last use of one also uses the other.
///
/// ggml's graph allocator walks the graph and reuses freed blocks as it goes; here the whole
/// plan is known up front, so the planner does the offline version of the same idea: tensors
/// largest first, each at the lowest offset that overlaps no already-placed tensor alive at the
/// same time. For CVR-Net's encoders this is a handful of large maps and many small scratch
/// buffers; the result is checked (`ArenaLayout.conflicts`) by the tests.
enum ArenaPlanner {
    /// Offsets are multiples of 16 floats (64 bytes: a cache line, an AVX-512 vector).
    static let alignment = 16

    /// The first and last step index that uses each tensor (nil for tensors no step uses).
    static func lifetimes(tensors: [PlannedTensor], steps: [ExecutionStep],
                          keepAlive: Set<TensorID>) -> [ClosedRange<Int>?] {
        var first = [Int?](repeating: nil, count: tensors.count)
        var last = [Int](repeating: -1, count: tensors.count)
        for (i, step) in steps.enumerated() {
            for t in step.operands {
                if first[t.index] == nil { first[t.index] = i }
                last[t.index] = i
            }
        }
        return tensors.indices.map { t in
            guard let f = first[t] else { return nil }
            return f...(keepAlive.contains(TensorID(index: t)) ? max(last[t], steps.count) : last[t])
        }
    }

    static func layout(tensors: [PlannedTensor], steps: [ExecutionStep], keepAlive: Set<TensorID>) -> ArenaLayout {
        let lives = lifetimes(tensors: tensors, steps: steps, keepAlive: keepAlive)
        let size = tensors.map { ($0.capacity + alignment - 1) / alignment * alignment }
        let order = tensors.indices
            .filter { tensors[$0].storage == .arena && lives[$0] != nil }
            .sorted { size[$0] != size[$1] ? size[$0] > size[$1] : $0 < $1 }
        var offsets = [Int?](repeating: nil, count: tensors.count)
        var placed: [Int] = []
        for t in order {
            let life = lives[t]!
            // Memory taken by tensors alive at the same time, by start.
            let busy = placed.filter { lives[$0]!.overlaps(life) }
                .map { offsets[$0]!..<(offsets[$0]! + size[$0]) }
                .sorted { $0.lowerBound < $1.lowerBound }
            var offset = 0
            for range in busy {
                if offset + size[t] <= range.lowerBound { break }
                offset = max(offset, range.upperBound)
            }
            offsets[t] = offset
            placed.append(t)
        }
        let total = placed.map { offsets[$0]! + size[$0] }.max() ?? 0
        return ArenaLayout(offsets: offsets, sizes: size, lifetimes: lives, floats: total)
    }
}

/// Where each tensor of a plan lives in the arena.
struct ArenaLayout: Sendable {
    /// Offset in floats of each arena tensor (nil for the input and for unused tensors).
    let offsets: [Int?]
    /// Floats reserved for each tensor (its capacity, rounded up to the alignment).
    let sizes: [Int]
    /// Steps using each tensor, first to last.
    let lifetimes: [ClosedRange<Int>?]
    /// The arena's size in floats.
    let floats: Int

    /// Pairs of tensors alive at the same time whose memory overlaps, and tensors that reach
    /// past the arena's end: empty for a correct layout.
    var conflicts: [(Int, Int)] {
        var found: [(Int, Int)] = []
        let placed = offsets.indices.filter { offsets[$0] != nil }
        for a in placed {
            let ra = offsets[a]!..<(offsets[a]! + sizes[a])
            if ra.upperBound > floats { found.append((a, a)) }
            for b in placed where b > a {
                let rb = offsets[b]!..<(offsets[b]! + sizes[b])
                if lifetimes[a]!.overlaps(lifetimes[b]!) && ra.overlaps(rb) { found.append((a, b)) }
            }
        }
        return found
    }
}
