import Foundation
import RapportCore
import Testing

/// The metrics engine against published worked examples and a reference implementation: values marked "scipy" were
/// computed with scipy.stats 1.17.1 (`t.ppf`, `norm.cdf`, `binom.cdf`, `ttest_ind(equal_var=False)`), the NPS ones
/// by the adjusted-Wald recipe of Rocks (2016) as MeasuringU publishes it, evaluated in Python.
@Suite("Metrics engine")
struct MetricsTests {
    static func close(_ a: Double?, _ b: Double, _ tolerance: Double = 1e-6) -> Bool {
        guard let a else { return false }
        return abs(a - b) < tolerance
    }

    /// scipy: `stats.t.ppf(0.975, df)`; the familiar table values 12.706, 4.303, 2.571, 2.228, 2.045, 1.984.
    @Test(arguments: [(1.0, 12.706204736174694), (2, 4.302652729749462), (5, 2.5705818356363146), (10, 2.228138851986274),
                      (29, 2.045229642132703), (100, 1.9839715185235518)])
    func studentTQuantilesMatchScipy(df: Double, quantile: Double) {
        #expect(Self.close(Distributions.studentTQuantile(0.975, df: df), quantile, 1e-8))
        #expect(Self.close(Distributions.studentTCDF(quantile, df: df), 0.975, 1e-10))
        #expect(Self.close(Distributions.studentTCDF(-quantile, df: df), 0.025, 1e-10))
    }

    @Test func normalDistributionMatchesScipy() {
        #expect(Self.close(Distributions.z(level: 0.95), 1.959963984540054, 1e-9))
        #expect(Self.close(Distributions.z(level: 0.9), 1.6448536269514722, 1e-9))
        #expect(Self.close(Distributions.normalCDF(1), 0.8413447460685429, 1e-12))
        #expect(Self.close(Distributions.binomialCDF(1, n: 10, p: 0.5), 11.0 / 1024, 1e-12))
        #expect(Distributions.binomialCDF(10, n: 10, p: 0.5) == 1 && Distributions.binomialCDF(-1, n: 10, p: 0.5) == 0)
    }

    /// 50 promoters, 30 passives, 20 detractors: NPS 30 with the adjusted-Wald interval 14.05 to 44.20.
    @Test func npsCarriesTheAdjustedWaldInterval() throws {
        let nps = NetPromoterScore(promoters: 50, passives: 30, detractors: 20)
        let estimate = try #require(nps.estimate())
        #expect(Self.close(estimate.value, 30) && estimate.n == 100 && !estimate.smallSample && estimate.level == 0.95)
        #expect(Self.close(estimate.low, 14.051130178761606, 1e-7) && Self.close(estimate.high, 44.20129700570441, 1e-7))
        #expect(NetPromoterScore(scores: [10, 9, 8, 7, 6, 0]) == NetPromoterScore(promoters: 2, passives: 2, detractors: 2))
    }

    @Test func npsEdgeCases() throws {
        #expect(NetPromoterScore(promoters: 0, passives: 0, detractors: 0).estimate() == nil, "no value for an empty group")
        // One promoter: NPS 100, a wide interval, flagged small.
        let one = try #require(NetPromoterScore(promoters: 1, passives: 0, detractors: 0).estimate())
        #expect(one.value == 100 && one.smallSample && Self.close(one.low, -48.498649420252027, 1e-7) && Self.close(one.high, 98.49864942025203, 1e-7))
        // All ten promoters: the upper bound is clipped at 100.
        let all = try #require(NetPromoterScore(promoters: 10, passives: 0, detractors: 0).estimate())
        #expect(all.value == 100 && Self.close(all.low, 47.5035515447902, 1e-7) && all.high == 100)
        let passives = try #require(NetPromoterScore(promoters: 0, passives: 5, detractors: 0).estimate())
        #expect(passives.value == 0 && Self.close(passives.low, -30.005697977220686, 1e-7) && Self.close(passives.high, 30.005697977220686, 1e-7))
        #expect(try #require(NetPromoterScore(promoters: 40, passives: 0, detractors: 0).estimate(smallSampleBelow: 50)).smallSample)
    }

    /// Group a (50/30/20 of 100, NPS 30) against group b (30/30/20 of 80, NPS 12.5): a difference of 17.5 points that
    /// noise could make (interval −5.45 to 39.61, p 0.137).
    @Test func twoNPSValuesAreComparedWithTheirInterval() throws {
        let a = NetPromoterScore(promoters: 50, passives: 30, detractors: 20)
        let b = NetPromoterScore(promoters: 30, passives: 30, detractors: 20)
        let comparison = try #require(NetPromoterScore.compare(a, b))
        #expect(Self.close(comparison.difference, 30 - 12.5))
        #expect(Self.close(comparison.low, -5.454515555328291, 1e-6) && Self.close(comparison.high, 39.61055719762563, 1e-6))
        #expect(Self.close(comparison.pValue, 0.13740880430047173, 1e-8) && !comparison.isSignificant)
        // Against a group of detractors the same group is clearly better.
        let unhappy = try #require(NetPromoterScore.compare(a, NetPromoterScore(promoters: 5, passives: 15, detractors: 60)))
        #expect(unhappy.isSignificant && unhappy.pValue < 0.001 && unhappy.low > 0)
        let same = try #require(NetPromoterScore.compare(a, a))
        #expect(Self.close(same.pValue, 1, 1e-12) && !same.isSignificant)
        #expect(NetPromoterScore.compare(a, NetPromoterScore(promoters: 0, passives: 0, detractors: 0)) == nil)
    }

    /// Newcombe (1998), "Interval estimation for the difference between independent proportions: comparison of eleven
    /// methods", Statistics in Medicine 17:873–890, worked example 56/70 − 48/80, method 10: 0.0524 to 0.3339.
    @Test func proportionDifferenceMatchesNewcombesWorkedExample() throws {
        let comparison = try #require(Proportions.compare(successesA: 56, trialsA: 70, successesB: 48, trialsB: 80))
        #expect(Self.close(comparison.difference, 20, 1e-9))
        #expect(abs(comparison.low - 5.24) < 0.005 && abs(comparison.high - 33.39) < 0.005, "\(comparison)")
        // scipy: the pooled two-proportion z test, z = 2.6502, p = 0.00805.
        #expect(Self.close(comparison.pValue, 0.00804508136819656, 1e-8))
        let csat = try #require(Proportions.estimate(successes: 0, trials: 10))
        #expect(csat.value == 0 && csat.low == 0 && Self.close(csat.high, 27.75327998628892, 1e-7))
        #expect(Proportions.estimate(successes: 0, trials: 0) == nil && Proportions.estimate(successes: 3, trials: 2) == nil)
        let flat = try #require(Proportions.compare(successesA: 5, trialsA: 5, successesB: 9, trialsB: 9))
        #expect(flat.pValue == 1 && flat.difference == 0)
    }

    /// scipy: a CES sample of ten answers, mean 5.5 with t interval 4.592 to 6.408; Welch's test against twelve others
    /// gives a difference of 1.667, interval 0.642 to 2.691, p 0.00327.
    @Test func meansCarryTheTIntervalAndCompareByWelch() throws {
        let a: [Double] = [5, 6, 7, 4, 6, 5, 7, 6, 3, 6], b: [Double] = [4, 3, 5, 4, 2, 5, 3, 4, 4, 3, 5, 4]
        let mean = try #require(MeanAndMedian.mean(a))
        #expect(mean.value == 5.5 && Self.close(mean.low, 4.592000685735766, 1e-8) && Self.close(mean.high, 6.407999314264234, 1e-8))
        let comparison = try #require(MeanAndMedian.compareMeans(a, b))
        #expect(Self.close(comparison.difference, 1.6666666666666665, 1e-12))
        #expect(Self.close(comparison.low, 0.6419133830458377, 1e-7) && Self.close(comparison.high, 2.6914199502874956, 1e-7))
        #expect(Self.close(comparison.pValue, 0.003270966686629407, 1e-9))
        let single = try #require(MeanAndMedian.mean([4]))
        #expect(single.value == 4 && single.low == nil && single.high == nil && single.n == 1)
        #expect(MeanAndMedian.mean([]) == nil && MeanAndMedian.compareMeans([4], b) == nil && MeanAndMedian.compareMeans([3, 3], [3, 3]) == nil)
    }

    /// The order-statistic interval: ranks 2 and 9 of ten (coverage 97.85 %), 1 and 6 of six, none below six.
    @Test func mediansCarryTheOrderStatisticInterval() throws {
        let hours: [Double] = [9, 1, 8, 2, 7, 3, 6, 4, 5, 10]
        let median = try #require(MeanAndMedian.median(hours))
        #expect(median.value == 5.5 && median.low == 2 && median.high == 9)
        let six = try #require(MeanAndMedian.median([6, 5, 4, 3, 2, 1]))
        #expect(six.value == 3.5 && six.low == 1 && six.high == 6)
        let five = try #require(MeanAndMedian.median([5, 4, 3, 2, 1]))
        #expect(five.value == 3 && five.low == nil && five.high == nil)
        // Thirty values: ranks 10 and 21 (scipy: binom.cdf(9, 30, ½) = 0.0214 ≤ 0.025 < binom.cdf(10, 30, ½)).
        let thirty = try #require(MeanAndMedian.median((1...30).map(Double.init)))
        #expect(thirty.low == 10 && thirty.high == 21 && !thirty.smallSample)
        #expect(MeanAndMedian.median([]) == nil)
    }

    /// `group_by` names: the trigger's attributes, the channel, the survey, an account and a customer trait.
    @Test func groupingsParseAndPrintBack() throws {
        for raw in ["agent", "team", "touchpoint", "channel", "survey", "account", "attribute.region", "trait.plan", "trait.Plan_Tier-2.x"] {
            #expect(try MetricGrouping(parameter: raw).parameter == raw)
        }
        #expect(try MetricGrouping(parameter: "trait.plan") == .trait("plan"))
        for bad in ["trait.", "trait.a b", "attribute.Region", "mood", "trait.\(String(repeating: "a", count: 101))"] {
            #expect(throws: RapportError.self, "\(bad)") { try MetricGrouping(parameter: bad) }
        }
        #expect(SurveyMetric(rawValue: "response_rate") == .responseRate && SurveyMetric.followUpTime.questionType == nil)
    }
}
