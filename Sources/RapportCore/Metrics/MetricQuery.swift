import Foundation

/// The survey metrics Rapport computes from responses' headline scores (docs/methods.md).
public enum SurveyMetric: String, Sendable, CaseIterable {
    /// NPS of the responses to surveys whose first question is an NPS question.
    case nps
    /// The share of satisfied answers (the positive band: a CSAT scale's top two boxes, a thumb up, the two happiest faces).
    case csat
    /// The mean effort score (1–7), with the share of easy answers (5–7).
    case ces

    var questionType: QuestionType {
        switch self {
        case .nps: .nps
        case .csat: .csat
        case .ces: .ces
        }
    }
}

/// A trend's period, in the workspace's time zone; weeks start on Monday (ISO 8601).
public enum MetricPeriod: String, Sendable, CaseIterable {
    case day, week, month
}

/// What a metric is broken down by: a trigger attribute the response carries (agent, team, touchpoint, or any
/// `attribute.<name>`), the channel it was answered in, or the survey.
public enum MetricGrouping: Sendable, Equatable {
    case attribute(String)
    case responseChannel
    case survey

    /// `agent`, `team`, `touchpoint`, `channel` (how the response came: email, widget, link, api, import), `survey`,
    /// or `attribute.<name>` (e.g. `attribute.channel`, the support channel the trigger named).
    public init(parameter raw: String) throws(RapportError) {
        switch raw {
        case "agent", "team", "touchpoint": self = .attribute(raw)
        case "channel": self = .responseChannel
        case "survey": self = .survey
        default:
            let name = raw.hasPrefix("attribute.") ? String(raw.dropFirst("attribute.".count)) : ""
            guard SurveyDefinition.isIdentifier(name) else {
                throw RapportError(.badRequest, code: "invalid_parameter",
                                   message: "group_by must be agent, team, touchpoint, channel, survey or attribute.<name>.",
                                   details: ["field": "group_by"])
            }
            self = .attribute(name)
        }
    }

    public var parameter: String {
        switch self {
        case .attribute(let name): ["agent", "team", "touchpoint"].contains(name) ? name : "attribute.\(name)"
        case .responseChannel: "channel"
        case .survey: "survey"
        }
    }
}

/// Which responses a metric reads and how it slices them.
public struct MetricQuery: Sendable, Equatable {
    public var metric: SurveyMetric
    public var surveyId: String?
    /// Submitted at or after `from` and before `to` (milliseconds).
    public var from: Int64
    public var to: Int64
    public var period: MetricPeriod?
    public var groupBy: MetricGrouping?
    public var segmentId: String?
    /// Only responses whose attributes hold these values (agent, team, touchpoint…).
    public var attributes: [String: String]
    public var level: Double
    public var smallSampleBelow: Int
    /// Only responses that came through this channel (email, widget, link, api, import…).
    public var channel: String? = nil

    public init(metric: SurveyMetric, surveyId: String? = nil, from: Int64, to: Int64, period: MetricPeriod? = nil,
                groupBy: MetricGrouping? = nil, segmentId: String? = nil, attributes: [String: String] = [:], level: Double = 0.95,
                smallSampleBelow: Int = Estimate.defaultSmallSample) {
        self.metric = metric
        self.surveyId = surveyId
        self.from = from
        self.to = to
        self.period = period
        self.groupBy = groupBy
        self.segmentId = segmentId
        self.attributes = attributes
        self.level = level
        self.smallSampleBelow = smallSampleBelow
    }

    /// The range a query without `from` reads: the 90 days before `to`.
    public static let defaultDays = 90
    /// At most this many periods in a trend (a year and a month of days).
    public static let maxPeriods = 400
    /// At most this many groups in a breakdown (the largest by n; the rest are counted as `other_groups`).
    public static let maxGroups = 100
}

/// One completed, scored response as the metrics read it.
public struct SurveyMetricRow: Sendable, Equatable {
    public var surveyId: String
    public var customerId: String?
    public var submittedAt: Int64
    public var score: Int
    public var band: ScoreBand?
    public var channel: String
    public var attributes: [String: String]

    public init(surveyId: String, customerId: String?, submittedAt: Int64, score: Int, band: ScoreBand?, channel: String,
                attributes: [String: String]) {
        self.surveyId = surveyId
        self.customerId = customerId
        self.submittedAt = submittedAt
        self.score = score
        self.band = band
        self.channel = channel
        self.attributes = attributes
    }
}
