import Foundation
import RapportCore

/// One survey's results: its metric (NPS, CSAT or CES, from its first question) with the interval, the trend with
/// its band and the breakdowns by agent, team, channel, touchpoint and segment, under the same filters as the dashboard.
public struct SurveyResultsPage: PageModel {
    public static let template = "survey_results"
    public static let groupings = ["agent", "team", "channel", "touchpoint", "segment"]

    /// One breakdown's report.
    public struct Breakdown: Sendable {
        public let grouping: String
        public let report: SurveyMetricService.Report

        public init(grouping: String, report: SurveyMetricService.Report) {
            self.grouping = grouping
            self.report = report
        }
    }

    public let name: String
    public let surveyURL: String
    public let dashboardURL: String
    public let form: FilterForm
    public let error: String?
    /// Why there is nothing to show: the survey does not open with a scored question.
    public let noMetric: String?
    public let tile: MetricTile?
    public let trend: TrendSection?
    public let changeForm: ChangeForm?
    public let comparison: ComparisonView?
    public let breakdowns: [BreakdownTable]
    public let hasBreakdowns: Bool

    public init(survey: Survey, metric: SurveyMetric?, filter: MetricFilter, overall: SurveyMetricService.Report?,
                breakdowns: [Breakdown], segments: [Segment], error: String?, timeZone: TimeZone,
                change: String? = nil, comparison: ComparisonView? = nil) {
        name = survey.name
        surveyURL = WebURL.survey(survey.id)
        dashboardURL = filter.url(WebURL.home)
        form = FilterForm(action: WebURL.surveyResults(survey.id), filter: filter, surveys: nil, segments: segments, timeZone: timeZone,
                          keepsBreakdown: false)
        self.error = error
        noMetric = metric == nil
            ? "This survey does not open with an NPS, CSAT or CES question, so it has no metric to chart: its responses are on the survey's page."
            : nil
        let resultsURL = WebURL.surveyResults(survey.id)
        tile = metric.flatMap { metric in
            overall.map {
                MetricTile(metric: metric, report: $0, note: nil, nURL: filter.responsesURL(surveyId: survey.id), resultsURL: nil,
                           timeZone: timeZone, idPrefix: "results-")
            }
        }
        trend = metric.flatMap { metric in overall.map { TrendSection(metric: metric, report: $0, timeZone: timeZone, idPrefix: "results-") } }
        self.breakdowns = metric.map { metric in
            breakdowns.map { breakdown in
                BreakdownTable(metric: metric, report: breakdown.report, grouping: breakdown.grouping, sort: filter.sort, idPrefix: "results-",
                               sortURL: { filter.url(resultsURL, changing: ["sort": $0, "survey": nil]) + "#results-\(metric.rawValue)-by-\(breakdown.grouping)" },
                               responsesURL: { group in
                                   group.key.map { filter.responsesURL(surveyId: survey.id, by: breakdown.grouping, key: $0) }
                               })
            }
        } ?? []
        hasBreakdowns = !self.breakdowns.isEmpty
        changeForm = metric == nil ? nil : ChangeForm(action: resultsURL, change: change ?? "",
                                                      hidden: filter.pairs(changing: ["survey": nil, "change": nil]).map {
                                                          FilterForm.Hidden(name: $0.0, value: $0.1)
                                                      })
        self.comparison = comparison
    }
}
