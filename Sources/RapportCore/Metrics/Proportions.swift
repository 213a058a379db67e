/// A share (CSAT's satisfied answers, a response rate) with the Wilson score interval, and the difference of two
/// shares with Newcombe's hybrid score interval (docs/methods.md).
public enum Proportions {
    /// successes / trials on 0…100 with its Wilson interval (`ProportionInterval.wilson`); nil without trials.
    public static func estimate(successes: Int, trials: Int, level: Double = 0.95,
                                smallSampleBelow threshold: Int = Estimate.defaultSmallSample) -> Estimate? {
        guard trials > 0, (0...trials).contains(successes) else { return nil }
        let (low, high) = wilson(successes: successes, trials: trials, z: Distributions.z(level: level))
        return Estimate(value: 100 * Double(successes) / Double(trials), low: 100 * low, high: 100 * high, level: level,
                        n: trials, smallSampleBelow: threshold)
    }

    /// a − b in percentage points with Newcombe's hybrid score interval (Newcombe 1998, "Interval estimation for the
    /// difference between independent proportions: comparison of eleven methods", Statistics in Medicine 17, method
    /// 10): with each share's Wilson bounds (l, u),
    ///
    ///     low  = (p₁ − p₂) − √((p₁ − l₁)² + (u₂ − p₂)²),  high = (p₁ − p₂) + √((u₁ − p₁)² + (p₂ − l₂)²).
    ///
    /// The p-value is the two-sided pooled two-proportion z test. Nil when a group is empty.
    public static func compare(successesA: Int, trialsA: Int, successesB: Int, trialsB: Int, level: Double = 0.95,
                               smallSampleBelow threshold: Int = Estimate.defaultSmallSample) -> Comparison? {
        guard let a = estimate(successes: successesA, trials: trialsA, level: level, smallSampleBelow: threshold),
              let b = estimate(successes: successesB, trials: trialsB, level: level, smallSampleBelow: threshold) else { return nil }
        let z = Distributions.z(level: level)
        let p1 = Double(successesA) / Double(trialsA), p2 = Double(successesB) / Double(trialsB)
        let (l1, u1) = wilson(successes: successesA, trials: trialsA, z: z)
        let (l2, u2) = wilson(successes: successesB, trials: trialsB, z: z)
        let difference = p1 - p2
        let low = difference - ((p1 - l1) * (p1 - l1) + (u2 - p2) * (u2 - p2)).squareRoot()
        let high = difference + ((u1 - p1) * (u1 - p1) + (p2 - l2) * (p2 - l2)).squareRoot()
        let pooled = Double(successesA + successesB) / Double(trialsA + trialsB)
        let standardError = (pooled * (1 - pooled) * (1 / Double(trialsA) + 1 / Double(trialsB))).squareRoot()
        // All successes or none in both groups: no variation, and no evidence of a difference.
        let p = standardError == 0 ? 1 : 2 * (1 - Distributions.normalCDF(abs(difference) / standardError))
        return Comparison(difference: 100 * difference, low: 100 * low, high: 100 * high, level: level, pValue: min(1, p), a: a, b: b)
    }

    /// Wilson (1927): centre (p + z²/2n)/(1 + z²/n), half-width z/(1 + z²/n)·√(p(1−p)/n + z²/4n²), within [0, 1].
    static func wilson(successes: Int, trials: Int, z: Double) -> (Double, Double) {
        let n = Double(trials), p = Double(successes) / n, z2 = z * z
        let denominator = 1 + z2 / n
        let centre = (p + z2 / (2 * n)) / denominator
        let half = z / denominator * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()
        return (max(0, centre - half), min(1, centre + half))
    }
}
