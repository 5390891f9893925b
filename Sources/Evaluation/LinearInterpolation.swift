/// `numpy.interp(x, xp, fp)` for increasing (possibly repeated) `xp`, as NumPy's C code does
/// it, which the notebook's macro-average ROC relies on (`scipy.interp` was NumPy's).
///
/// For each x: left of `xp[0]` gives `fp[0]`, right of the last gives the last `fp`; otherwise
/// j is the LAST index with `xp[j] <= x` (so on a vertical run of a ROC curve, the highest
/// TPR); when `xp[j] == x` the result is `fp[j]`, else
/// `slope * (x - xp[j]) + fp[j]` with `slope = (fp[j+1] - fp[j]) / (xp[j+1] - xp[j])`.
public enum LinearInterpolation {
    public static func interpolate(_ x: [Double], xp: [Double], fp: [Double]) -> [Double] {
        precondition(xp.count == fp.count && !xp.isEmpty, "xp and fp must have the same non-zero length")
        let n = xp.count
        return x.map { value in
            if value.isNaN { return value }
            if n == 1 { return fp[0] }  // NumPy: fp[0] everywhere (left/right default to it)
            if value < xp[0] { return fp[0] }
            if value > xp[n - 1] { return fp[n - 1] }
            // Last index with xp[j] <= value (bisection, as binary_search_with_guess ends).
            var low = 0, high = n
            while low < high {
                let mid = low + (high - low) / 2
                if value >= xp[mid] { low = mid + 1 } else { high = mid }
            }
            let j = low - 1
            if j == n - 1 || xp[j] == value { return fp[j] }
            let slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j])
            var result = slope * (value - xp[j]) + fp[j]
            if result.isNaN {
                // NumPy's fallback for infinite or NaN slopes.
                result = slope * (value - xp[j + 1]) + fp[j + 1]
                if result.isNaN && fp[j] == fp[j + 1] { result = fp[j] }
            }
            return result
        }
    }
}
