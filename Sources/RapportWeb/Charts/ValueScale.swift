import Foundation

/// A chart's value axis: a range that covers the values with "nice" round ends and ticks at steps of 1, 2 or 5 times a
/// power of ten (Heckbert, "Nice numbers for graph labels", Graphics Gems, 1990), kept inside the metric's own
/// domain (NPS −100…100, a share 0…100, CES 1…7).
public struct ValueScale: Sendable, Equatable {
    public let lower: Double
    public let upper: Double
    public let step: Double
    public let ticks: [Double]

    /// A scale covering `values` (intervals' bounds included by the caller), about `tickCount` ticks, within `domain`.
    /// Without values the whole domain is shown (0…1 without a domain); a single value gets a step of room either side.
    public init(covering values: [Double], domain: ClosedRange<Double>? = nil, tickCount: Int = 5) {
        let finite = values.filter(\.isFinite)
        var low = finite.min() ?? domain?.lowerBound ?? 0
        var high = finite.max() ?? domain?.upperBound ?? 1
        if high - low < 1e-9 {
            let room = Swift.max(abs(low) * 0.1, 1)
            low -= room
            high += room
        }
        let step = Self.niceStep((high - low) / Double(Swift.max(tickCount - 1, 1)))
        var lower = (low / step).rounded(.down) * step
        var upper = (high / step).rounded(.up) * step
        if let domain {
            lower = Swift.max(lower, domain.lowerBound)
            upper = Swift.min(upper, domain.upperBound)
            if upper <= lower { (lower, upper) = (domain.lowerBound, domain.upperBound) }
        }
        lower = Self.snap(lower)
        upper = Self.snap(upper)
        self.lower = lower
        self.upper = upper
        self.step = step
        // Each tick from its index (not by adding steps, which gathers rounding error), snapped and kept in range.
        var ticks: [Double] = []
        let first = (lower / step - 1e-9).rounded(.up)
        var index = 0.0
        while true {
            let tick = Self.snap((first + index) * step)
            guard tick <= upper else { break }
            if tick >= lower { ticks.append(tick == 0 ? 0 : tick) }
            index += 1
        }
        self.ticks = ticks
    }

    /// `value` rounded to nine decimals: 5.8999999999 is 5.9.
    static func snap(_ value: Double) -> Double { (value * 1e9).rounded() / 1e9 }

    /// The smallest of 1, 2, 5 × 10ᵏ that is at least `rough`.
    public static func niceStep(_ rough: Double) -> Double {
        guard rough > 0, rough.isFinite else { return 1 }
        let power = pow(10, (log10(rough)).rounded(.down))
        let fraction = rough / power
        let nice: Double = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        return nice * power
    }

    /// Where `value` falls between `start` (the scale's lower end) and `end` (its upper end), in drawing units;
    /// values outside the scale are held at its ends.
    public func position(_ value: Double, from start: Double, to end: Double) -> Double {
        let clamped = Swift.min(Swift.max(value, lower), upper)
        return start + (clamped - lower) / (upper - lower) * (end - start)
    }

    /// A tick's label with as many decimals as the step needs ("−20", "2.5", "0.25").
    public func label(_ value: Double) -> String { ChartText.number(value, decimals: Self.decimals(for: step)) }

    static func decimals(for step: Double) -> Int {
        var decimals = 0
        var scaled = step
        while decimals < 4, abs(scaled - scaled.rounded()) > 1e-9 {
            scaled *= 10
            decimals += 1
        }
        return decimals
    }
}
