import Foundation
import RapportCore

/// The landing page after sign-in: NPS, CSAT and CES tiles with their intervals, n and sparklines; a trend chart per
/// metric with the interval as a band; a breakdown sortable by value and by n; the latest comments; open and overdue
/// follow-ups; and the workspace's other headline numbers lower down. Every filter is in the URL.
public struct DashboardPage: PageModel {
    public static let template = "dashboard"
    /// The metrics with a tile, a trend and a breakdown (time to close is on the follow-up queue and the API).
    public static let metrics: [SurveyMetric] = [.nps, .csat, .ces, .responseRate]

    /// The repeat purchase rate with its Wilson interval, formatted for the card.
    public struct Purchases: Sendable {
        public let customerCount: Int
        public let purchasers: Int
        public let repeatPurchasers: Int
        public let rate: String
        public let interval: String?
    }

    public let form: FilterForm
    /// A filter that could not be read, in words; the metrics are left out until it is fixed.
    public let error: String?
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

    public let memberCount: Int
    /// Shown to roles that may read customer data.
    public let purchases: Purchases?
    /// Shown to admins.
    public let activeKeyCount: Int?
    /// When the figures were counted, for a view slow enough to be kept a while (`DASHBOARD_CACHE_SECONDS`); nil
    /// when they were counted for this request alone.
    public let countedAt: DisplayDate?
    /// How long such a view is shared, in words ("a minute").
    public let keptFor: String

    /// The metrics' part of the page, built by the handler from the reports.
    public struct Metrics: Sendable {
        public var reports: [SurveyMetric: SurveyMetricService.Report] = [:]
        /// Why a metric has no report ("The survey … does not ask for CSAT.").
        public var notes: [SurveyMetric: String] = [:]
        /// The surveys each metric reads (those that open with its question).
        public var surveysByMetric: [SurveyMetric: [String]] = [:]
        public var breakdown: SurveyMetricService.Report?
        public var comments: [CommentItem] = []
        public var followUps: FollowUpSummary?
        public var goals: [GoalReport] = []

        public init() {}
    }

    public init(filter: MetricFilter, surveys: [Survey], segments: [Segment], metrics: Metrics?, error: String?, timeZone: TimeZone,
                memberCount: Int, customerCount: Int?, repeatPurchase: RepeatPurchaseRate?, activeKeyCount: Int?,
                keptSince: Int64? = nil, keptForSeconds: Int64 = 60) {
        countedAt = keptSince.map { DisplayDate(millis: $0, timeZone: timeZone) }
        keptFor = keptForSeconds == 60 ? "a minute" : Plural.count(Int(keptForSeconds), "second")
        form = FilterForm(action: WebURL.home, filter: filter, surveys: surveys, segments: segments, timeZone: timeZone)
        self.error = error
        let metrics = metrics ?? Metrics()
        /// The one survey a metric's responses belong to, when there is one.
        func onlySurvey(_ metric: SurveyMetric) -> String? {
            let ids = metrics.surveysByMetric[metric] ?? []
            return ids.count == 1 ? ids[0] : nil
        }
        tiles = error != nil ? [] : Self.metrics.map { metric in
            let survey = onlySurvey(metric)
            // The response rate's n counts invitations, not responses: it opens the breakdown by survey.
            let nURL = survey.flatMap { metric.questionType == nil ? nil : filter.responsesURL(surveyId: $0) }
                ?? filter.url(WebURL.home, changing: ["by": "survey", "metric": metric.rawValue]) + "#breakdown"
            return MetricTile(metric: metric, report: metrics.reports[metric], note: metrics.notes[metric], nURL: nURL,
                              resultsURL: survey.map { filter.url(WebURL.surveyResults($0), changing: ["survey": nil]) },
                              timeZone: timeZone)
        }
        trends = Self.metrics.compactMap { metric in
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
        breakdownMetrics = Self.metrics.map { FilterForm.Option(value: $0.rawValue, label: MetricStyle.name($0), selected: $0 == filter.metric) }
        breakdownHint = filter.by != "survey" && onlySurvey(filter.metric) == nil && metrics.breakdown != nil
            ? "These responses come from several surveys: choose a survey above, or break down by survey, to open the responses behind a group."
            : nil
        goals = GoalsPage.rows(metrics.goals, surveys: surveys, segments: segments)
        hasGoals = !goals.isEmpty
        comments = metrics.comments
        hasComments = !comments.isEmpty
        followUps = metrics.followUps
        self.memberCount = memberCount
        self.activeKeyCount = activeKeyCount
        guard let customerCount, let repeatPurchase else {
            purchases = nil
            return
        }
        let percent = { (value: Double) in String(format: "%.1f %%", value * 100) }
        purchases = Purchases(customerCount: customerCount, purchasers: repeatPurchase.purchasers,
                              repeatPurchasers: repeatPurchase.repeatPurchasers,
                              rate: repeatPurchase.rate.map(percent) ?? "no buyers yet",
                              interval: repeatPurchase.interval.map { "\(percent($0.low)) – \(percent($0.high))" })
    }
}
