/// One figure as Rapport shows it: the value, its confidence interval at `level`, the sample size behind it and
/// whether that sample is too small to lean on (docs/methods.md). An empty group has no `Estimate` at all, never 0.
public struct Estimate: Sendable, Equatable {
    public var value: Double
    /// The interval's bounds; nil when the method gives none for this sample (e.g. a mean of one answer).
    public var low: Double?
    public var high: Double?
    public var level: Double
    public var n: Int
    /// Fewer than the workspace's small-sample threshold (default 30) answers behind the figure.
    public var smallSample: Bool

    public init(value: Double, low: Double?, high: Double?, level: Double, n: Int,
                smallSampleBelow threshold: Int = Estimate.defaultSmallSample) {
        self.value = value
        self.low = low
        self.high = high
        self.level = level
        self.n = n
        self.smallSample = n < threshold
    }

    public static let defaultSmallSample = 30
    /// The confidence levels reports offer.
    public static let levels: [Double] = [0.8, 0.9, 0.95, 0.99]
}

/// The difference between two groups or periods (a − b), its confidence interval and the two-sided p-value of "no
/// difference", so that a user sees whether a change is real.
public struct Comparison: Sendable, Equatable {
    public var difference: Double
    public var low: Double
    public var high: Double
    public var level: Double
    public var pValue: Double
    public var a: Estimate
    public var b: Estimate

    public init(difference: Double, low: Double, high: Double, level: Double, pValue: Double, a: Estimate, b: Estimate) {
        self.difference = difference
        self.low = low
        self.high = high
        self.level = level
        self.pValue = pValue
        self.a = a
        self.b = b
    }

    /// Whether the interval excludes 0 (equivalently, p < 1 − level).
    public var isSignificant: Bool { low > 0 || high < 0 }
}
