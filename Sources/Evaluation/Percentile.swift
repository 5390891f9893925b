/// `numpy.percentile(values, q)` with the default "linear" method (type 7 of Hyndman and Fan):
/// the virtual index h = (n - 1) q / 100 between the sorted values at floor(h) and floor(h) + 1,
/// interpolated as NumPy's `_lerp` does (from the upper value when the fraction is >= 0.5).
public enum Percentile {
    public static func of(_ values: [Double], _ q: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        let h = Double(sorted.count - 1) * (q / 100)
        let below = min(Int(h.rounded(.down)), sorted.count - 1)
        let above = min(below + 1, sorted.count - 1)
        let t = h - Double(below)
        let a = sorted[below], b = sorted[above]
        let difference = b - a
        return t >= 0.5 ? b - difference * (1 - t) : a + difference * t
    }
}
