import Foundation

/// The metrics Rapport computes (docs/methods.md): three from responses' scores, the response rate from delivered
/// invitations, and the time to close a follow-up case.
public enum SurveyMetric: String, Sendable, CaseIterable {
    /// NPS of the responses to surveys whose first question is an NPS question.
    case nps
    /// The share of satisfied answers (the positive band: a CSAT scale's top two boxes, a thumb up, the two happiest faces).
    case csat
    /// The mean effort score (1–7), with the share of easy answers (5–7).
    case ces
    /// Delivered invitations that got a completed response, over delivered invitations (Wilson interval).
    case responseRate = "response_rate"
    /// The median time from a follow-up case's opening to its close (order-statistic interval), in hours.
    case followUpTime = "follow_up_time"

    /// The question type a score metric reads; nil for the response rate and the follow-up time.
    public var questionType: QuestionType? {
        switch self {
        case .nps: .nps
        case .csat: .csat
        case .ces: .ces
        case .responseRate, .followUpTime: nil
        }
    }
}

/// A trend's period, in the workspace's time zone; weeks start on Monday (ISO 8601).
public enum MetricPeriod: String, Sendable, CaseIterable {
    case day, week, month
}

/// What a metric is broken down by: a trigger attribute the response carries (agent, team, touchpoint, or any
/// `attribute.<name>`), the channel it was answered in, the survey, a customer trait as it is now, or the customer's
/// account. `team` falls back to the agent's teams (Settings → Teams) when the response names no team.
public enum MetricGrouping: Sendable, Equatable {
    case attribute(String)
    case responseChannel
    case survey
    case trait(String)
    case account
    /// Each segment the customer is a member of now (a response counts in every one); customers in none: "(none)".
    case segment

    /// `agent`, `team`, `touchpoint`, `channel` (how the response came: email, widget, link, api, import), `survey`,
    /// `account`, `segment`, `attribute.<name>` (e.g. `attribute.channel`, the support channel the trigger named) or
    /// `trait.<name>` (a customer trait, read now).
    public init(parameter raw: String) throws(RapportError) {
        switch raw {
        case "agent", "team", "touchpoint": self = .attribute(raw)
        case "channel": self = .responseChannel
        case "survey": self = .survey
        case "account": self = .account
        case "segment": self = .segment
        default:
            if raw.hasPrefix("trait."), let name = Optional(String(raw.dropFirst("trait.".count))), Self.isTraitName(name) {
                self = .trait(name)
                return
            }
            let name = raw.hasPrefix("attribute.") ? String(raw.dropFirst("attribute.".count)) : ""
            guard SurveyDefinition.isIdentifier(name) else {
                throw RapportError(.badRequest, code: "invalid_parameter",
                                   message: "group_by must be agent, team, touchpoint, channel, survey, segment, account, attribute.<name> or trait.<name>.",
                                   details: ["field": "group_by"])
            }
            self = .attribute(name)
        }
    }

    /// A trait name as `group_by` takes it: 1–100 letters, digits, `_`, `-` or `.`.
    static func isTraitName(_ name: String) -> Bool {
        (1...100).contains(name.count) && name.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "_-.".unicodeScalars.contains(scalar))
        }
    }

    public var parameter: String {
        switch self {
        case .attribute(let name): ["agent", "team", "touchpoint"].contains(name) ? name : "attribute.\(name)"
        case .responseChannel: "channel"
        case .survey: "survey"
        case .trait(let name): "trait.\(name)"
        case .account: "account"
        case .segment: "segment"
        }
    }
}

/// Which responses a metric reads and how it slices them.
public struct MetricQuery: Sendable, Equatable {
    public var metric: SurveyMetric
    public var surveyId: String?
    /// NPS, CSAT and CES: the question (by id) to measure instead of each survey's first; the surveys read are those
    /// with a question of this id and of the metric's type.
    public var questionId: String?
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

    public init(metric: SurveyMetric, surveyId: String? = nil, questionId: String? = nil, from: Int64, to: Int64,
                period: MetricPeriod? = nil, groupBy: MetricGrouping? = nil, segmentId: String? = nil,
                attributes: [String: String] = [:], level: Double = 0.95, smallSampleBelow: Int = Estimate.defaultSmallSample) {
        self.metric = metric
        self.surveyId = surveyId
        self.questionId = questionId
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
    /// Whether `id` can name a survey question (`question=`): 1–40 of a-z, 0-9 and _, starting with a letter.
    public static func isQuestionId(_ id: String) -> Bool { SurveyDefinition.isIdentifier(id) }

    /// At most this many groups in a breakdown (the largest by n; the rest are counted as `other_groups`).
    public static let maxGroups = 100
}

/// One completed response as the metrics read it (scored, unless its answers are read for another question).
public struct SurveyMetricRow: Sendable, Equatable {
    public var surveyId: String
    public var customerId: String?
    public var submittedAt: Int64
    /// The headline score; nil (only when `answers` are read) for a response whose first question went unanswered.
    public var score: Int?
    public var band: ScoreBand?
    public var channel: String
    public var attributes: [String: String]
    /// The answers by question id, when the metric reads a question other than the first (else empty).
    public var answers: [String: JSONValue]

    public init(surveyId: String, customerId: String?, submittedAt: Int64, score: Int?, band: ScoreBand?, channel: String,
                attributes: [String: String], answers: [String: JSONValue] = [:]) {
        self.surveyId = surveyId
        self.customerId = customerId
        self.submittedAt = submittedAt
        self.score = score
        self.band = band
        self.channel = channel
        self.attributes = attributes
        self.answers = answers
    }
}
