import Foundation
import RapportCore

/// The metrics' part of the dashboard: the tiles with their intervals and sparklines, the trend charts, the goals, the
/// breakdown, the latest comments and the follow-ups of one view (workspace, time zone and filters). It is rendered on
/// its own (template `dashboard_metrics`) so that a view kept for a while is drawn once, not for every viewer: drawing
/// the charts and filling the templates cost more than reading a kept count (docs/decisions.md, "The dashboard keeps
/// slow views for a minute"). Nothing in it depends on who looks.
public struct DashboardMetricsSection: PageModel {
    public static let template = "dashboard_metrics"
    /// A part of the dashboard, not a page of its own.
    public static var section: NavSection? { nil }

    public let tiles: [MetricTile]
    public let trends: [TrendSection]
    public let breakdown: BreakdownTable?
    /// The filters the breakdown's own form carries along.
    public let filterHidden: [FilterForm.Hidden]
    public let breakdownChoices: [FilterForm.Option]
    public let breakdownMetrics: [FilterForm.Option]
    public let breakdownHint: String?
    /// The workspace's goals with where each stands (docs/methods.md, "Goals").
    public let goals: [GoalsPage.Goal]
    public let hasGoals: Bool
    public let comments: [CommentItem]
    public let hasComments: Bool
    public let followUps: FollowUpSummary?

    public init(filter: MetricFilter, surveys: [Survey], segments: [Segment], metrics: DashboardPage.Metrics, timeZone: TimeZone) {
        /// The one survey a metric's responses belong to, when there is one.
        func onlySurvey(_ metric: SurveyMetric) -> String? {
            let ids = metrics.surveysByMetric[metric] ?? []
            return ids.count == 1 ? ids[0] : nil
        }
        tiles = DashboardPage.metrics.map { metric in
            let survey = onlySurvey(metric)
            // The response rate's n counts invitations, not responses: it opens the breakdown by survey.
            let nURL = survey.flatMap { metric.questionType == nil ? nil : filter.responsesURL(surveyId: $0) }
                ?? filter.url(WebURL.home, changing: ["by": "survey", "metric": metric.rawValue]) + "#breakdown"
            return MetricTile(metric: metric, report: metrics.reports[metric], note: metrics.notes[metric], nURL: nURL,
                              resultsURL: survey.map { filter.url(WebURL.surveyResults($0), changing: ["survey": nil]) },
                              timeZone: timeZone)
        }
        trends = DashboardPage.metrics.compactMap { metric in
            metrics.reports[metric].map { TrendSection(metric: metric, report: $0, timeZone: timeZone) }
        }
        breakdown = metrics.breakdown.map { report in
            let metric = filter.metric
            let survey = onlySurvey(metric)
            return BreakdownTable(metric: metric, report: report, grouping: filter.by, sort: filter.sort,
                                  sortURL: { filter.url(WebURL.home, changing: ["sort": $0]) + "#breakdown" },
                                  responsesURL: { group in
                                      guard let key = group.key else { return nil }
                                      if filter.by == "survey" { return filter.responsesURL(surveyId: key) }
                                      return survey.map { filter.responsesURL(surveyId: $0, by: filter.by, key: key) }
                                  })
        }
        filterHidden = filter.pairs(changing: ["by": nil, "metric": nil]).map { FilterForm.Hidden(name: $0.0, value: $0.1) }
        breakdownChoices = MetricFilter.groupings.map { FilterForm.Option(value: $0, label: $0.prefix(1).uppercased() + $0.dropFirst(), selected: $0 == filter.by) }
        breakdownMetrics = DashboardPage.metrics.map { FilterForm.Option(value: $0.rawValue, label: MetricStyle.name($0), selected: $0 == filter.metric) }
        breakdownHint = filter.by != "survey" && onlySurvey(filter.metric) == nil && metrics.breakdown != nil
            ? "These responses come from several surveys: choose a survey above, or break down by survey, to open the responses behind a group."
            : nil
        goals = GoalsPage.rows(metrics.goals, surveys: surveys, segments: segments)
        hasGoals = !goals.isEmpty
        comments = metrics.comments
        hasComments = !comments.isEmpty
        followUps = metrics.followUps
    }
}
