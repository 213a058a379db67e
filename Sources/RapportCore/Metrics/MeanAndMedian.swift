/// A mean (CES on its 1–7 scale, a rating) with Student's t interval, two means compared by Welch's t test, and a
/// median (time to close a follow-up) with its distribution-free order-statistic interval (docs/methods.md).
public enum MeanAndMedian {
    /// x̄ ± t(1 − α/2, n − 1)·s/√n, s the sample standard deviation (n − 1 in the denominator). One value has no
    /// interval; nil for none.
    public static func mean(_ values: [Double], level: Double = 0.95,
                            smallSampleBelow threshold: Int = Estimate.defaultSmallSample) -> Estimate? {
        guard !values.isEmpty else { return nil }
        let (mean, variance) = moments(values)
        guard values.count > 1 else {
            return Estimate(value: mean, low: nil, high: nil, level: level, n: 1, smallSampleBelow: threshold)
        }
        let half = Distributions.studentTQuantile(0.5 + level / 2, df: Double(values.count - 1))
            * (variance / Double(values.count)).squareRoot()
        return Estimate(value: mean, low: mean - half, high: mean + half, level: level, n: values.count, smallSampleBelow: threshold)
    }

    /// a − b by Welch's t test (unequal variances; Welch–Satterthwaite degrees of freedom), as scipy's
    /// `ttest_ind(equal_var=False)` computes it. Nil unless both groups have two values or more, or when neither varies.
    public static func compareMeans(_ a: [Double], _ b: [Double], level: Double = 0.95,
                                    smallSampleBelow threshold: Int = Estimate.defaultSmallSample) -> Comparison? {
        guard a.count > 1, b.count > 1, let estimateA = mean(a, level: level, smallSampleBelow: threshold),
              let estimateB = mean(b, level: level, smallSampleBelow: threshold) else { return nil }
        let (meanA, varianceA) = moments(a), (meanB, varianceB) = moments(b)
        let termA = varianceA / Double(a.count), termB = varianceB / Double(b.count)
        let standardError = (termA + termB).squareRoot()
        guard standardError > 0 else { return nil }
        let df = (termA + termB) * (termA + termB)
            / (termA * termA / Double(a.count - 1) + termB * termB / Double(b.count - 1))
        let difference = meanA - meanB
        let half = Distributions.studentTQuantile(0.5 + level / 2, df: df) * standardError
        let p = 2 * (1 - Distributions.studentTCDF(abs(difference) / standardError, df: df))
        return Comparison(difference: difference, low: difference - half, high: difference + half, level: level,
                          pValue: min(1, p), a: estimateA, b: estimateB)
    }

    /// The same mean and t interval from integer answers' sufficient statistics: n, Σx and Σx², with the sample
    /// variance (n·Σx² − (Σx)²) / (n(n − 1)) computed exactly in integers (what the database's counts give).
    public static func mean(count: Int, sum: Int, squares: Int, level: Double = 0.95,
                            smallSampleBelow threshold: Int = Estimate.defaultSmallSample) -> Estimate? {
        guard count > 0 else { return nil }
        let mean = Double(sum) / Double(count)
        guard count > 1 else { return Estimate(value: mean, low: nil, high: nil, level: level, n: 1, smallSampleBelow: threshold) }
        let variance = exactVariance(count: count, sum: sum, squares: squares)
        let half = Distributions.studentTQuantile(0.5 + level / 2, df: Double(count - 1)) * (variance / Double(count)).squareRoot()
        return Estimate(value: mean, low: mean - half, high: mean + half, level: level, n: count, smallSampleBelow: threshold)
    }

    /// Welch's t test as `compareMeans(_:_:)`, from each group's n, Σx and Σx² (integer answers).
    public static func compareMeans(count countA: Int, sum sumA: Int, squares squaresA: Int, count countB: Int, sum sumB: Int,
                                    squares squaresB: Int, level: Double = 0.95,
                                    smallSampleBelow threshold: Int = Estimate.defaultSmallSample) -> Comparison? {
        guard countA > 1, countB > 1,
              let estimateA = mean(count: countA, sum: sumA, squares: squaresA, level: level, smallSampleBelow: threshold),
              let estimateB = mean(count: countB, sum: sumB, squares: squaresB, level: level, smallSampleBelow: threshold) else { return nil }
        let termA = exactVariance(count: countA, sum: sumA, squares: squaresA) / Double(countA)
        let termB = exactVariance(count: countB, sum: sumB, squares: squaresB) / Double(countB)
        let standardError = (termA + termB).squareRoot()
        guard standardError > 0 else { return nil }
        let df = (termA + termB) * (termA + termB) / (termA * termA / Double(countA - 1) + termB * termB / Double(countB - 1))
        let difference = estimateA.value - estimateB.value
        let half = Distributions.studentTQuantile(0.5 + level / 2, df: df) * standardError
        let p = 2 * (1 - Distributions.studentTCDF(abs(difference) / standardError, df: df))
        return Comparison(difference: difference, low: difference - half, high: difference + half, level: level,
                          pValue: min(1, p), a: estimateA, b: estimateB)
    }

    /// (n·Σx² − (Σx)²) / (n(n − 1)) in integers, then divided once (n > 1).
    static func exactVariance(count: Int, sum: Int, squares: Int) -> Double {
        Double(count * squares - sum * sum) / Double(count * (count - 1))
    }

    /// The median (the mean of the middle two for an even count) with the order-statistic interval
    /// [x₍ⱼ₎, x₍ₙ₋ⱼ₊₁₎], j the largest rank with P(B ≤ j − 1) ≤ α/2 for B ~ Binomial(n, ½), whose coverage is at
    /// least the level whatever the distribution (Conover, Practical Nonparametric Statistics, 3rd ed., §3.2). Below
    /// the smallest n that reaches the level (6 for 95 %), no interval. Nil for no values.
    public static func median(_ values: [Double], level: Double = 0.95,
                              smallSampleBelow threshold: Int = Estimate.defaultSmallSample) -> Estimate? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted(), n = sorted.count
        let middle = n / 2
        let median = n % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
        let alpha = 1 - level
        var j = 0
        while j < n / 2, Distributions.binomialCDF(j, n: n, p: 0.5) <= alpha / 2 { j += 1 }
        guard j >= 1 else { return Estimate(value: median, low: nil, high: nil, level: level, n: n, smallSampleBelow: threshold) }
        return Estimate(value: median, low: sorted[j - 1], high: sorted[n - j], level: level, n: n, smallSampleBelow: threshold)
    }

    /// The mean and the sample variance (n − 1), by Welford's update for stability.
    static func moments(_ values: [Double]) -> (mean: Double, variance: Double) {
        var mean = 0.0, squares = 0.0
        for (index, value) in values.enumerated() {
            let delta = value - mean
            mean += delta / Double(index + 1)
            squares += delta * (value - mean)
        }
        return (mean, values.count > 1 ? squares / Double(values.count - 1) : 0)
    }
}
