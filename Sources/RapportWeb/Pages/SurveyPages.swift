import Foundation
import RapportCore

/// The workspace's surveys (name, status, version, headline question) and the quick-start form that builds an NPS,
/// CSAT or CES survey with an optional follow-up question.
public struct SurveysPage: PageModel {
    public static let template = "surveys"
    public struct Row: Sendable {
        public let name: String
        public let pageURL: String
        public let status: String
        public let version: Int
        public let headline: String
        public let updatedAt: DisplayDate
    }

    public struct Option: Sendable {
        public let value: String
        public let label: String
        public let selected: Bool
    }

    public let surveys: [Row]
    public let kinds: [Option]
    public let canBuild: Bool
    public let values: [String: String]
    public let error: String?
    /// A refused "Build a custom survey" form.
    public let customError: String?
    public let flash: String?

    public init(surveys: [Survey], canBuild: Bool, values: [String: String] = [:], error: String?, customError: String? = nil,
                flash: String?, timeZone: TimeZone = DisplayDate.utc) {
        self.surveys = surveys.map { survey in
            let first = survey.definition.questions.first
            return Row(name: survey.name, pageURL: WebURL.survey(survey.id), status: survey.status.rawValue, version: survey.version,
                       headline: first.map { "\($0.type.rawValue.uppercased()): \(survey.definition.localized($0.text, survey.definition.defaultLanguage))" } ?? "",
                       updatedAt: DisplayDate(millis: survey.updatedAt, timeZone: timeZone))
        }
        let chosen = values["kind"] ?? "nps"
        kinds = [("nps", "NPS: how likely to recommend (0–10)"), ("csat", "CSAT: how satisfied (1–5)"),
                 ("ces", "CES: how easy (1–7)")].map { Option(value: $0.0, label: $0.1, selected: $0.0 == chosen) }
        self.canBuild = canBuild
        self.values = values
        self.error = error
        self.customError = customError
        self.flash = flash
    }
}

/// One survey: its state with the moves its life allows, its questions as customers see them, and its latest
/// responses.
public struct SurveyPage: PageModel {
    public static let template = "survey"
    public struct Question: Sendable {
        public let id: String
        public let type: String
        public let text: String
        public let scale: String?
        public let condition: String?
        public let required: Bool
    }

    public struct Response: Sendable {
        public let customerURL: String?
        public let customerId: String?
        public let score: String
        public let band: String?
        public let channel: String
        public let attributes: String
        public let submittedAt: DisplayDate?
    }

    public struct Action: Sendable {
        public let url: String
        public let label: String
        public let id: String
        public let danger: Bool
    }

    public let name: String
    public let status: String
    public let version: Int
    public let languages: String
    public let settings: String
    /// The web widget channel in words: off, or where, when and how it shows.
    public let widget: String
    public let questions: [Question]
    public let actions: [Action]
    public let hasActions: Bool
    public let responses: [Response]
    public let olderURL: String?
    public let flash: String?
    /// The invitations at a glance: "4 sent · 1 suppressed (1 recontact period) · 2 responded".
    public let invitations: String
    /// Agents and up may invite a segment while the survey is active.
    public let canInvite: Bool
    public let inviteURL: String
    public let segments: [SurveysPage.Option]
    public let error: String?
    /// The builder (read-only for those who may not build); none once the survey is closed.
    public let editURL: String?
    public let editLabel: String
    /// The survey's public link (nil: not shown).
    public let link: SurveyLinkSection?
    /// The survey's metric with its trend and breakdowns, for a survey that opens with NPS, CSAT or CES.
    public let resultsURL: String?
    /// The response list's filters in words, with how many responses match them (a figure's n links here).
    public let responseFilter: ResponseFilter?

    /// The filters a link from a figure put on the response list.
    public struct ResponseFilter: Sendable {
        public let summary: String
        public let count: Int
        public let clearURL: String
    }

    /// The responses as CSV, and (for agents and up) the import form with its column guide.
    public let id: String
    public let exportURL: String
    public let canImport: Bool
    public let importColumns: [ImportColumn]

    /// One column of a responses file: a question's id and the answer it takes.
    public struct ImportColumn: Sendable {
        public let name: String
        public let answer: String
    }

    public init(survey: Survey, responses: Page<SurveyResponse>, canManage: Bool, canImport: Bool = false, flash: String?,
                timeZone: TimeZone = DisplayDate.utc, invitationCounts: (byStatus: [String: Int], byReason: [String: Int]) = ([:], [:]),
                canInvite: Bool = false, segments: [Segment] = [], error: String? = nil, link: SurveyLinkSection? = nil,
                filter: SurveyResponseQuery? = nil, filterQuery: String = "", matching: Int? = nil) {
        self.link = link
        let headline = survey.definition.questions.first?.type
        resultsURL = headline.map { [QuestionType.nps, .csat, .ces].contains($0) } == true ? WebURL.surveyResults(survey.id) : nil
        responseFilter = filter.map { filter in
            ResponseFilter(summary: Self.describe(filter, segments: segments, timeZone: timeZone), count: matching ?? 0,
                           clearURL: WebURL.survey(survey.id) + "#responses")
        }
        var parts: [String] = []
        for status in SurveyInvitation.Status.allCases {
            guard let count = invitationCounts.byStatus[status.rawValue], count > 0 else { continue }
            var part = "\(count) \(status.rawValue)"
            if status == .suppressed {
                let reasons = invitationCounts.byReason.sorted { $0.key < $1.key }
                    .map { "\($0.value) \($0.key.replacingOccurrences(of: "_", with: " "))" }
                if !reasons.isEmpty { part += " (\(reasons.joined(separator: ", ")))" }
            }
            parts.append(part)
        }
        invitations = parts.isEmpty ? "No invitations yet." : parts.joined(separator: " · ")
        self.canInvite = canInvite && survey.status == .active && !segments.isEmpty
        inviteURL = WebURL.surveyAction(survey.id, "invite")
        self.segments = segments.map { SurveysPage.Option(value: $0.id, label: $0.name, selected: false) }
        self.error = error
        editURL = survey.status == .closed ? nil : WebURL.surveyEdit(survey.id)
        editLabel = canManage ? "Edit questions, languages and settings" : "Open in the builder (read-only) with its preview"
        id = survey.id
        exportURL = WebURL.surveyResponsesCSV(survey.id)
        self.canImport = canImport
        importColumns = survey.definition.questions.map { question in
            let answer: String
            if let range = question.scoreRange {
                answer = "a whole number \(range.lowerBound)–\(range.upperBound)"
            } else if question.type == .singleChoice {
                answer = "one of " + question.options.map(\.id).joined(separator: ", ")
            } else if question.type == .multipleChoice {
                answer = "some of " + question.options.map(\.id).joined(separator: ", ") + ", separated by ;"
            } else {
                answer = "a text"
            }
            return ImportColumn(name: question.id, answer: answer + (question.required ? " (required)" : ""))
        }
        let definition = survey.definition
        name = survey.name
        status = survey.status.rawValue
        version = survey.version
        languages = definition.languages.joined(separator: ", ")
        var rules: [String] = []
        if survey.settings.oncePerPerson { rules.append("once per person") }
        if let days = survey.settings.minDaysBetween { rules.append("at most once every \(Plural.count(days, "day")) per person") }
        rules.append(survey.settings.editWindowHours == 0 ? "answers cannot be changed"
                     : "answers can be changed for \(Plural.count(survey.settings.editWindowHours, "hour"))")
        if let days = survey.settings.reminderAfterDays {
            rules.append("a reminder after \(Plural.count(days, "day")) (at most \(survey.settings.maxReminders))")
        }
        settings = rules.joined(separator: "; ")
        widget = Self.describe(survey.settings.widget)
        questions = definition.questions.map { question in
            var scale: String?
            if let range = question.scoreRange {
                scale = question.csatScale == .thumbs ? "thumbs down or up" : question.csatScale == .faces ? "five faces"
                    : "\(range.lowerBound)–\(range.upperBound)"
            } else if !question.options.isEmpty {
                scale = question.options.map { definition.localized($0.text, definition.defaultLanguage) }.joined(separator: " · ")
            }
            let condition = question.showIf.map { rule -> String in
                switch rule.test {
                case .band(let bands): "shown when \(rule.question) is \(bands.map(\.rawValue).joined(separator: " or "))"
                case .oneOf(let values): "shown when \(rule.question) is \(values.map { $0.stringValue ?? $0.jsonText }.joined(separator: " or "))"
                case .between(let min, let max):
                    "shown when \(rule.question) is " + [min.map { "at least \(Int($0))" }, max.map { "at most \(Int($0))" }]
                        .compactMap { $0 }.joined(separator: " and ")
                }
            }
            return Question(id: question.id, type: question.type.rawValue.replacingOccurrences(of: "_", with: " "),
                            text: definition.localized(question.text, definition.defaultLanguage), scale: scale,
                            condition: condition, required: question.required)
        }
        var moves: [Action] = []
        if canManage {
            for next in survey.status.next {
                switch next {
                case .active: moves.append(Action(url: WebURL.surveyAction(survey.id, "activate"),
                                                  label: survey.status == .draft ? "Activate" : "Resume", id: "activate-survey", danger: false))
                case .paused: moves.append(Action(url: WebURL.surveyAction(survey.id, "pause"), label: "Pause", id: "pause-survey", danger: false))
                case .closed: moves.append(Action(url: WebURL.surveyAction(survey.id, "close"), label: "Close for good", id: "close-survey", danger: true))
                case .draft: break
                }
            }
        }
        actions = moves
        hasActions = !moves.isEmpty
        self.responses = responses.items.map { response in
            Response(customerURL: response.customerId.map { WebURL.customer($0) }, customerId: response.customerId,
                     score: response.score.map(String.init) ?? "–", band: response.band?.rawValue, channel: response.channel,
                     attributes: response.attributes.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "),
                     submittedAt: response.submittedAt.map { DisplayDate(millis: $0, timeZone: timeZone) })
        }
        olderURL = responses.nextCursor.map {
            WebURL.survey(survey.id, cursor: $0) + (filterQuery.isEmpty ? "" : "&" + filterQuery) + "#responses"
        }
        self.flash = flash
    }

    /// "completed, scored, from 1 Mar 2026, 00:00 UTC to 31 Mar 2026, 23:59 UTC, channel email, agent sam".
    static func describe(_ query: SurveyResponseQuery, segments: [Segment], timeZone: TimeZone) -> String {
        var parts: [String] = []
        if let status = query.status { parts.append(status.rawValue) }
        if query.scoredOnly { parts.append("with a score") }
        if let band = query.band { parts.append("band \(band.rawValue)") }
        if let from = query.submittedFrom { parts.append("from \(DisplayDate(millis: from, timeZone: timeZone))") }
        if let before = query.submittedBefore { parts.append("before \(DisplayDate(millis: before, timeZone: timeZone))") }
        if let channel = query.channel { parts.append("channel \(channel)") }
        if let segmentId = query.segmentId { parts.append("segment \(segments.first { $0.id == segmentId }?.name ?? segmentId)") }
        if let agent = query.agent { parts.append("agent \(agent)") }
        for (name, value) in query.attributes.sorted(by: { $0.key < $1.key }) { parts.append("\(name) \(value)") }
        if let customerId = query.customerId { parts.append("customer \(customerId)") }
        if let text = query.text { parts.append("containing “\(text)”") }
        return parts.joined(separator: ", ")
    }

    /// "Shown on /pricing or /plans/* after the event Checkout Completed, after 10 seconds on the page; bottom right;
    /// not shown again for 30 days after a dismissal."
    static func describe(_ rule: SurveyWidgetRule) -> String {
        guard rule.enabled else { return "Off (set settings.widget.enabled through the API to show it on your site)." }
        var when = rule.paths.isEmpty ? "Shown on every page" : "Shown on " + rule.paths.joined(separator: " or ")
        if let event = rule.event { when += " after the event \(event)" }
        var waits: [String] = []
        if let seconds = rule.secondsOnPage, seconds > 0 { waits.append("\(seconds) seconds on the page") }
        if let seconds = rule.secondsOnSite, seconds > 0 { waits.append("\(seconds) seconds on the site") }
        if !waits.isEmpty { when += ", after " + waits.joined(separator: " and ") }
        let position = rule.position == .bottomLeft ? "bottom left" : "bottom right"
        return "\(when); \(position); not shown again for \(Plural.count(rule.dismissDays, "day")) after a dismissal."
    }
}
