/// The area under a piecewise-linear curve: `sklearn.metrics.auc(x, y)`, which is
/// `numpy.trapezoid(y, x)` with the sign flipped when x is non-increasing.
public enum TrapezoidalArea {
    /// Sum over segments of `(x[i+1] - x[i]) * (y[i+1] + y[i]) / 2`. NaN when any value is
    /// NaN or when fewer than two points are given (scikit-learn raises there).
    public static func area(x: [Double], y: [Double]) -> Double {
        precondition(x.count == y.count, "one y per x")
        guard x.count >= 2 else { return .nan }
        var direction = 1.0
        if zip(x.dropFirst(), x).contains(where: { $0 < $1 }) { direction = -1 }
        var sum = 0.0
        for i in 0..<(x.count - 1) {
            sum += (x[i + 1] - x[i]) * (y[i + 1] + y[i]) / 2
        }
        return direction * sum
    }
}
