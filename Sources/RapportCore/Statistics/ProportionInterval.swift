import Foundation

/// A confidence interval for a proportion (successes out of trials), e.g. the share of buyers who bought again.
public struct ProportionInterval: Sendable, Equatable {
    public var low: Double
    public var high: Double
    /// The confidence level, e.g. 0.95.
    public var level: Double

    /// The Wilson score interval (Wilson 1927; recommended over the normal "Wald" interval by Brown, Cai and
    /// DasGupta 2001, because it stays inside [0, 1] and keeps its coverage for small samples and rates near 0 or 1):
    ///
    ///     centre = (p + z²/2n) / (1 + z²/n),  half-width = z / (1 + z²/n) · √(p(1−p)/n + z²/4n²)
    ///
    /// with p = successes / trials and z the normal quantile of the level (1.959964 for 95 %). Nil without trials.
    public static func wilson(successes: Int, trials: Int, level: Double = 0.95) -> ProportionInterval? {
        guard trials > 0, successes >= 0, successes <= trials, let z = normalQuantile(twoSided: level) else { return nil }
        let (low, high) = Proportions.wilson(successes: successes, trials: trials, z: z)
        return ProportionInterval(low: low, high: high, level: level)
    }

    /// z such that a standard normal variable lies within ±z with probability `level`, for the levels reports use
    /// (`Estimate.levels`); nil for any other.
    static func normalQuantile(twoSided level: Double) -> Double? {
        Estimate.levels.contains(level) ? Distributions.z(level: level) : nil
    }
}
