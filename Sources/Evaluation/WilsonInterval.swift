/// A proportion with its Wilson score 95% confidence interval (Wilson 1927; the same as
/// `statsmodels.stats.proportion.proportion_confint(k, n, alpha=0.05, method="wilson")`).
///
/// With p = k/n and z = 1.959963984540054 (the 97.5% normal quantile):
/// centre = (p + z²/2n) / (1 + z²/n), half-width = z / (1 + z²/n) * sqrt(p(1-p)/n + z²/4n²).
/// Unlike the normal approximation it stays inside [0, 1] and is sensible at p = 0 or 1.
public struct WilsonInterval: Sendable, Equatable, Codable {
    public static let z95 = 1.959963984540054

    /// k / n (NaN when n = 0).
    public var value: Double
    public var lower: Double
    public var upper: Double
    public var successes: Int
    public var trials: Int

    public init(successes: Int, trials: Int, z: Double = WilsonInterval.z95) {
        self.successes = successes
        self.trials = trials
        guard trials > 0 else {
            value = .nan; lower = .nan; upper = .nan
            return
        }
        let n = Double(trials), p = Double(successes) / n
        let z2 = z * z
        let denominator = 1 + z2 / n
        let centre = (p + z2 / (2 * n)) / denominator
        let half = z / denominator * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()
        value = p
        lower = centre - half
        upper = centre + half
    }
}
