import Foundation
import RapportCore
import RapportWeb
import Testing

/// The server-drawn SVG charts: nice scales, the trend's band and gaps, the sparkline, the breakdown's bars and
/// whiskers, escaping, empty series and dates in the workspace's time zone.
@Suite("Charts")
struct ChartTests {
    static let utc = TimeZone(identifier: "UTC")!
    /// 2 March 2026, 00:00 UTC, a Monday.
    static let march2: Int64 = 1_772_409_600_000
    static let day: Int64 = 86_400_000

    static func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    @Test(arguments: [
        (0.7, 1.0), (1.0, 1.0), (1.3, 2.0), (3.0, 5.0), (7.0, 10.0), (23.0, 50.0), (0.03, 0.05), (250.0, 500.0),
    ])
    func stepsAreOneTwoOrFiveTimesAPowerOfTen(rough: Double, nice: Double) {
        #expect(abs(ValueScale.niceStep(rough) - nice) < 1e-12)
    }

    @Test func aScaleCoversItsValuesWithRoundEndsInsideTheDomain() {
        let nps = ValueScale(covering: [-12, 37, 45], domain: -100...100)
        #expect(nps.lower == -20 && nps.upper == 60 && nps.step == 20)
        #expect(nps.ticks == [-20, 0, 20, 40, 60])
        #expect(nps.label(-20) == "−20" && nps.label(0) == "0")
        // An interval reaching the domain's end is held there, never past 100.
        let share = ValueScale(covering: [62, 99.5], domain: 0...100)
        #expect(share.upper == 100 && share.ticks.last == 100)
        // CES lives on 1–7.
        let ces = ValueScale(covering: [5.2, 5.9], domain: 1...7)
        #expect(ces.lower >= 1 && ces.upper <= 7 && ces.lower <= 5.2 && ces.upper >= 5.9)
        #expect(ces.ticks.allSatisfy { (ces.lower...ces.upper).contains($0) })
        #expect(ces.label(5.2) == "5.2")
    }

    @Test func aScaleWithoutValuesShowsItsDomainAndOneValueGetsRoom() {
        let empty = ValueScale(covering: [], domain: -100...100)
        #expect(empty.lower == -100 && empty.upper == 100)
        let one = ValueScale(covering: [40])
        #expect(one.lower < 40 && one.upper > 40)
        #expect(one.position(40, from: 100, to: 0) > 0 && one.position(40, from: 100, to: 0) < 100)
        #expect(one.position(one.lower, from: 200, to: 10) == 200 && one.position(one.upper, from: 200, to: 10) == 10)
        #expect(one.position(1_000, from: 200, to: 10) == 10, "values outside are held at the end")
    }

    @Test func numbersUseARealMinusAndNoNegativeZero() {
        #expect(ChartText.number(-3.14159, decimals: 1) == "−3.1")
        #expect(ChartText.number(-0.01, decimals: 1) == "0.0")
        #expect(ChartText.number(12.5, decimals: 0) == "12" || ChartText.number(12.5, decimals: 0) == "13")
    }

    @Test func periodLabelsAreHumanAndInTheWorkspacesTimeZone() throws {
        #expect(ChartText.periodLabel(Self.march2, period: .day, timeZone: Self.utc) == "2 Mar")
        #expect(ChartText.periodLabel(Self.march2, period: .month, timeZone: Self.utc) == "Mar 2026")
        #expect(ChartText.periodName(Self.march2, period: .week, timeZone: Self.utc) == "week of 2 Mar 2026")
        #expect(ChartText.periodName(Self.march2, period: .month, timeZone: Self.utc) == "March 2026")
        // Midnight UTC is still 1 March in New York.
        let newYork = try #require(TimeZone(identifier: "America/New_York"))
        #expect(ChartText.periodLabel(Self.march2, period: .day, timeZone: newYork) == "1 Mar")
    }

    @Test func textIsEscaped() {
        #expect(ChartText.escape("<b>\"Tom & 'Jerry'\"</b>") == "&lt;b&gt;&quot;Tom &amp; &#39;Jerry&#39;&quot;&lt;/b&gt;")
    }

    static func weekly(_ values: [(Double, Double, Double, Int)?]) -> TrendChart {
        let starts = values.indices.map { Self.march2 + Int64($0) * 7 * Self.day }
        let points = values.map { value in
            value.map { ChartPoint(label: "", value: $0.0, low: $0.1, high: $0.2, n: $0.3) } ?? ChartPoint(label: "", value: nil)
        }
        return TrendChart(id: "nps-trend", title: "NPS <by week>", starts: starts, points: points, period: .week,
                          timeZone: Self.utc, domain: -100...100)
    }

    @Test func aTrendIsAnAccessibleImageWithABandAndAGapForAnEmptyPeriod() throws {
        let chart = Self.weekly([(10, -5, 25, 40), (20, 5, 35, 42), nil, (30, 12, 45, 38), (35, 20, 48, 50)])
        let svg = chart.svg()
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.contains("role=\"img\"") && svg.contains("aria-labelledby=\"nps-trend-title\""))
        #expect(svg.contains("<title id=\"nps-trend-title\">NPS &lt;by week&gt;</title>"), "the title is escaped")
        #expect(svg.contains("<desc id=\"nps-trend-desc\">From week of 2 Mar 2026 to week of 30 Mar 2026: 5 weeks, 4 with responses."))
        #expect(svg.contains("viewBox=\"0 0 400 220\"") && !svg.contains("width=\"400\""), "sized by its viewBox only")
        // The empty third week splits the line and the band in two: two pieces of each, four points.
        #expect(Self.count("class=\"chart-line\"", in: svg) == 2)
        #expect(Self.count("class=\"chart-band\"", in: svg) == 2)
        #expect(Self.count("<circle class=\"chart-point\"", in: svg) == 4)
        #expect(svg.contains("<title>week of 30 Mar 2026: 35 (95 % interval 20 to 48, n = 50)</title>"))
        // The first point sits at the left edge, at the height of 10 on a −20…60 scale.
        let scale = chart.scale
        #expect(scale.lower == -20 && scale.upper == 60)
        let y = ChartText.coordinateForTest(scale.position(10, from: 190, to: 12))
        #expect(svg.contains("M40 \(y)"), "\(svg)")
        #expect(svg.contains(">2 Mar</text>") && svg.contains(">30 Mar</text>"))
        #expect(svg.hasSuffix("</svg>"))
    }

    @Test func aLonePeriodGetsAWhiskerAndAnEmptyTrendSaysSo() {
        let lone = Self.weekly([nil, (50, 20, 70, 12), nil]).svg()
        #expect(Self.count("class=\"chart-whisker\"", in: lone) == 1 && !lone.contains("chart-band") && !lone.contains("chart-line"))
        #expect(Self.count("<circle", in: lone) == 1)
        let empty = Self.weekly([nil, nil]).svg()
        #expect(empty.contains("No responses in this range") && !empty.contains("<circle") && empty.hasSuffix("</svg>"))
        #expect(Self.weekly([]).summary == "No periods in this range.")
    }

    @Test func aLongTrendLabelsAtMostSixPeriodsEndingWithTheLast() {
        let days = (0..<90).map { _ in (50.0, 40.0, 60.0, 30) as (Double, Double, Double, Int)? }
        let chart = TrendChart(id: "t", title: "t", starts: days.indices.map { Self.march2 + Int64($0) * Self.day },
                               points: days.map { ChartPoint(label: "", value: $0?.0, low: $0?.1, high: $0?.2, n: 30) },
                               period: .day, timeZone: Self.utc, domain: 0...100)
        let svg = chart.svg()
        let labels = Self.count("text-anchor=\"start\">", in: svg) + Self.count("text-anchor=\"middle\">", in: svg)
            + Self.count("text-anchor=\"end\">", in: svg)
        #expect(labels <= 6 && labels >= 4, "\(labels)")
        #expect(svg.contains(">30 May</text>"), "the last day, 30 May, is labelled")
    }

    @Test func aSparklineDrawsItsValuesWithGapsAndNothingWhenEmpty() throws {
        let points = [ChartPoint(label: "a", value: 10), ChartPoint(label: "b", value: 20), ChartPoint(label: "c", value: nil),
                      ChartPoint(label: "d", value: 15), ChartPoint(label: "e", value: 25)]
        let svg = try #require(Sparkline(id: "nps-spark", title: "NPS trend", points: points).svg())
        #expect(svg.contains("role=\"img\"") && svg.contains("<title id=\"nps-spark-title\">NPS trend</title>"))
        #expect(Self.count("class=\"chart-line\"", in: svg) == 2)
        #expect(svg.contains("<desc id=\"nps-spark-desc\">4 of 5 periods with responses, from 10 to 25 (e).</desc>"))
        #expect(Sparkline(id: "x", title: "x", points: [ChartPoint(label: "a", value: nil)]).svg() == nil)
    }

    @Test func aBreakdownDrawsABarAndAWhiskerPerGroupAndEscapesLabels() {
        let bars = [ChartPoint(label: "Sam <Support>", value: 60, low: 20, high: 85, n: 5),
                    ChartPoint(label: "Kim", value: -66.7, low: -95, high: -10, n: 3),
                    ChartPoint(label: "A team with a very long name", value: nil, n: 0)]
        let chart = BreakdownChart(id: "by-agent", title: "NPS by agent", bars: bars, domain: -100...100)
        let svg = chart.svg()
        #expect(Self.count("<rect class=\"chart-bar\"", in: svg) == 2)
        #expect(Self.count("class=\"chart-whisker\"", in: svg) == 2)
        #expect(svg.contains(">Sam &lt;Support&gt;</text>") && !svg.contains("<Support>"))
        #expect(svg.contains(">A team with a v…</text>") && svg.contains("<title>A team with a very long name: no responses</title>"))
        #expect(svg.contains("viewBox=\"0 0 400 \(ChartText.coordinateForTest(chart.height))\""))
        // Kim's bar runs left from 0: it starts at Kim's value and ends at the zero line.
        let zero = chart.scale.position(0, from: 118, to: 386), kim = chart.scale.position(-66.7, from: 118, to: 386)
        #expect(svg.contains("<rect class=\"chart-bar\" x=\"\(ChartText.coordinateForTest(kim))\""))
        #expect(svg.contains("width=\"\(ChartText.coordinateForTest(zero - kim))\""))
        let empty = BreakdownChart(id: "e", title: "e", bars: [], domain: 0...100).svg()
        #expect(empty.contains("No responses in this range") && empty.hasSuffix("</svg>"))
    }
}
