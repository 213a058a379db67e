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

    /// The filter form, drawn (`FilterFormPart`): kept with a view while the view is kept.
    public let formHTML: String
    /// A filter that could not be read, in words; the metrics are left out until it is fixed.
    public let error: String?
    /// The metrics' part of the page (`DashboardMetricsSection`), rendered once for a view and shared with the view
    /// while it is kept; nil when the filters could not be read or the viewer may not read data.
    public let metricsHTML: String?

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

    public init(formHTML: String, metricsHTML: String?, error: String?, timeZone: TimeZone,
                memberCount: Int, customerCount: Int?, repeatPurchase: RepeatPurchaseRate?, activeKeyCount: Int?,
                keptSince: Int64? = nil, keptForSeconds: Int64 = 60) {
        countedAt = keptSince.map { DisplayDate(millis: $0, timeZone: timeZone) }
        keptFor = keptForSeconds == 60 ? "a minute" : Plural.count(Int(keptForSeconds), "second")
        self.formHTML = formHTML
        self.error = error
        self.metricsHTML = error == nil ? metricsHTML : nil
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
