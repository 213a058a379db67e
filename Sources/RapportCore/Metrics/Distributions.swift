import Foundation

/// The distributions behind the intervals (docs/methods.md): the standard normal, Student's t and the binomial,
/// computed from `erfc`, `lgamma` and the regularized incomplete beta function.
public enum Distributions {
    /// Φ(x), the standard normal cumulative distribution: ½·erfc(−x/√2).
    public static func normalCDF(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }

    /// z with Φ(z) = p, by bisection on `normalCDF` (to 1e-12; 0 < p < 1).
    public static func normalQuantile(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "a probability strictly between 0 and 1")
        return bisect(lower: -40, upper: 40) { normalCDF($0) < p }
    }

    /// The two-sided critical value z of a confidence level (1.959964 for 0.95).
    public static func z(level: Double) -> Double { normalQuantile(0.5 + level / 2) }

    /// The cumulative distribution of Student's t with `df` degrees of freedom:
    /// for t ≥ 0, 1 − ½·I_x(df/2, ½) with x = df / (df + t²) (Abramowitz and Stegun 26.7.1 with 26.5.27).
    public static func studentTCDF(_ t: Double, df: Double) -> Double {
        let tail = 0.5 * regularizedIncompleteBeta(x: df / (df + t * t), a: df / 2, b: 0.5)
        return t >= 0 ? 1 - tail : tail
    }

    /// t with P(T ≤ t) = p for Student's t with `df` degrees of freedom (0.5 < p < 1), by bisection.
    public static func studentTQuantile(_ p: Double, df: Double) -> Double {
        precondition(p > 0.5 && p < 1 && df > 0)
        var upper = 2.0
        while studentTCDF(upper, df: df) < p { upper *= 2 }
        return bisect(lower: 0, upper: upper) { studentTCDF($0, df: df) < p }
    }

    /// P(B ≤ k) for B ~ Binomial(n, p), summed in log space so that large n stays exact to rounding.
    public static func binomialCDF(_ k: Int, n: Int, p: Double) -> Double {
        guard k >= 0 else { return 0 }
        guard k < n else { return 1 }
        var total = 0.0
        for i in 0...k {
            let choose: Double = lgamma(Double(n) + 1) - lgamma(Double(i) + 1) - lgamma(Double(n - i) + 1)
            let powers: Double = Double(i) * Foundation.log(p) + Double(n - i) * Foundation.log1p(-p)
            total += exp(choose + powers)
        }
        return min(1, total)
    }

    /// I_x(a, b) by the continued fraction of Numerical Recipes (Press et al., 3rd ed., §6.4), evaluated with the
    /// modified Lentz method; the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) keeps it in its fast-converging range.
    public static func regularizedIncompleteBeta(x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logBeta: Double = lgamma(a + b) - lgamma(a) - lgamma(b)
        let front: Double = exp(logBeta + a * log(x) + b * log1p(-x))
        if x < (a + 1) / (a + b + 2) { return front * betaContinuedFraction(x: x, a: a, b: b) / a }
        return 1 - front * betaContinuedFraction(x: 1 - x, a: b, b: a) / b
    }

    private static func betaContinuedFraction(x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300, epsilon = 1e-15
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var result = d
        for m in 1...10_000 {
            let m = Double(m), m2 = 2 * m
            var term = m * (b - m) * x / ((a + m2 - 1) * (a + m2))
            d = 1 + term * d
            if abs(d) < tiny { d = tiny }
            c = 1 + term / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            result *= d * c
            term = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))
            d = 1 + term * d
            if abs(d) < tiny { d = tiny }
            c = 1 + term / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let step = d * c
            result *= step
            if abs(step - 1) < epsilon { break }
        }
        return result
    }

    /// The boundary of a monotone predicate (true below it) on [lower, upper].
    private static func bisect(lower: Double, upper: Double, below: (Double) -> Bool) -> Double {
        var (low, high) = (lower, upper)
        for _ in 0..<200 {
            let middle = (low + high) / 2
            if below(middle) { low = middle } else { high = middle }
            if high - low < 1e-12 { break }
        }
        return (low + high) / 2
    }
}
