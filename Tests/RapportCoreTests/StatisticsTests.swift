import Foundation
import RapportCore
import Testing

@Suite("Statistics")
struct StatisticsTests {
    /// Newcombe (1998), "Two-sided confidence intervals for the single proportion: comparison of seven methods",
    /// Statistics in Medicine 17:857–872, Table II, method 3 (score interval without continuity correction).
    @Test(arguments: [
        (81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718),
    ])
    func wilsonIntervalMatchesNewcombesTable(successes: Int, trials: Int, low: Double, high: Double) throws {
        let interval = try #require(ProportionInterval.wilson(successes: successes, trials: trials))
        #expect(abs(interval.low - low) < 0.00005, "low \(interval.low)")
        #expect(abs(interval.high - high) < 0.00005, "high \(interval.high)")
        #expect(interval.level == 0.95)
    }

    @Test func wilsonIntervalEdgesAndBadInput() throws {
        let all = try #require(ProportionInterval.wilson(successes: 10, trials: 10))
        #expect(abs(all.high - 1) < 1e-12 && abs(all.low - 0.7225) < 0.0001) // mirror of 0/10 → [0, 0.2775]
        #expect(ProportionInterval.wilson(successes: 0, trials: 0) == nil)
        #expect(ProportionInterval.wilson(successes: 3, trials: 2) == nil)
        #expect(ProportionInterval.wilson(successes: 1, trials: 2, level: 0.5) == nil)
        let wider = try #require(ProportionInterval.wilson(successes: 81, trials: 263, level: 0.99))
        #expect(wider.low < 0.2553 && wider.high > 0.3662)
    }

    @Test func repeatPurchaseRateCarriesItsInterval() throws {
        let rate = RepeatPurchaseRate(purchasers: 2, repeatPurchasers: 1)
        let interval = try #require(rate.interval)
        #expect(abs(interval.low - 0.0945) < 0.0001 && abs(interval.high - 0.9055) < 0.0001)
        #expect(RepeatPurchaseRate(purchasers: 0, repeatPurchasers: 0).interval == nil)
    }
}
