import Foundation
import RapportCore

/// The follow-up queue: the signed-in user's cases, their teams' or everyone's, overdue first, then the soonest due,
/// closed ones last.
public struct FollowUpsPage: PageModel {
    public static let template = "follow_ups"
    /// Whose cases: the viewer's, those of everyone who shares a team with them, or all.
    public enum Show: String, Sendable, CaseIterable {
        case mine, team, all

        var label: String {
            switch self {
            case .mine: "Mine"
            case .team: "My team"
            case .all: "All"
            }
        }
    }
    public struct Tab: Sendable {
        public let label: String
        public let url: String
        public let current: Bool
    }

    public struct Row: Sendable {
        public let pageURL: String
        public let customerURL: String?
        public let customerId: String?
        public let survey: String
        public let score: String
        public let status: String
        public let owner: String
        public let due: DisplayDate
        public let overdue: Bool
        public let outcome: String?
    }

    public let tabs: [Tab]
    public let cases: [Row]
    public let olderURL: String?
    public let flash: String?

    public let emptyText: String

    /// `show`: the tab shown; `owners` and `surveys` name ids for people; `inTeam`: whether the viewer is in a team.
    public init(cases: Page<FollowUpCase>, show: Show, owners: [String: String], surveys: [String: String], now: Int64,
                inTeam: Bool = true, flash: String? = nil, timeZone: TimeZone = DisplayDate.utc) {
        tabs = Show.allCases.map { Tab(label: $0.label, url: WebURL.followUps(show: $0), current: $0 == show) }
        emptyText = show == .team && !inTeam
            ? "You are in no team yet: an admin puts members in teams under Settings → Team."
            : "No follow-up cases here."
        self.cases = cases.items.map { item in
            Row(pageURL: WebURL.followUp(item.id), customerURL: item.customerId.map { WebURL.customer($0) }, customerId: item.customerId,
                survey: surveys[item.surveyId] ?? item.surveyId,
                score: item.score.map { "\($0)" + (item.band.map { " (\($0.rawValue))" } ?? "") } ?? "–",
                status: FollowUpPage.label(item.status), owner: item.ownerId.map { owners[$0] ?? $0 } ?? "unassigned",
                due: DisplayDate(millis: item.dueAt, timeZone: timeZone), overdue: item.isOverdue(at: now), outcome: item.outcome)
        }
        olderURL = cases.nextCursor.map { WebURL.followUps(show: show, cursor: $0) }
        self.flash = flash
    }
}

/// One follow-up case: what happened (the response's answers), its notes, and for agents and up the form that moves
/// it, assigns it or closes it with an outcome, and the one that adds a note.
public struct FollowUpPage: PageModel {
    public static let template = "follow_up"
    public struct Answer: Sendable {
        public let question: String
        public let answer: String
    }

    public struct Note: Sendable {
        public let author: String
        public let text: String
        public let at: DisplayDate
    }

    public struct Option: Sendable {
        public let value: String
        public let label: String
        public let selected: Bool
    }

    public let id: String
    public let actionURL: String
    public let noteURL: String
    public let status: String
    public let closed: Bool
    public let survey: String
    public let surveyURL: String
    public let customerURL: String?
    public let customerId: String?
    public let score: String
    public let owner: String
    public let due: DisplayDate
    public let overdue: Bool
    public let createdAt: DisplayDate
    public let closedAt: DisplayDate?
    public let outcome: String?
    /// The survey after the resolution: where it stands and, once answered, the score before and after.
    public let resurvey: String?
    /// When the survey after resolution is scheduled to go out (shown as a date for people after `resurvey`).
    public let resurveyAt: DisplayDate?
    public let answers: [Answer]
    public let attributes: String?
    public let notes: [Note]
    public let canWork: Bool
    public let statuses: [Option]
    public let owners: [Option]
    public let outcomes: [String]
    public let outcomeValue: String
    public let noteValue: String
    public let error: String?
    public let flash: String?

    public init(detail: FollowUpService.Detail, members: [Member], canWork: Bool, now: Int64, values: [String: String] = [:],
                error: String? = nil, flash: String? = nil, timeZone: TimeZone = DisplayDate.utc) {
        let item = detail.followUp
        id = item.id
        actionURL = WebURL.followUp(item.id)
        noteURL = WebURL.followUpNotes(item.id)
        status = Self.label(item.status)
        closed = item.status.isClosed
        survey = detail.surveyName ?? item.surveyId
        surveyURL = WebURL.survey(item.surveyId)
        customerURL = item.customerId.map { WebURL.customer($0) }
        customerId = item.customerId
        score = item.score.map { "\($0)" + (item.band.map { " (\($0.rawValue))" } ?? "") } ?? "–"
        owner = detail.owner?.user.email ?? (item.ownerId == nil ? "unassigned" : "a former member")
        due = DisplayDate(millis: item.dueAt, timeZone: timeZone)
        overdue = item.isOverdue(at: now)
        createdAt = DisplayDate(millis: item.createdAt, timeZone: timeZone)
        closedAt = item.closedAt.map { DisplayDate(millis: $0, timeZone: timeZone) }
        outcome = item.outcome
        resurvey = detail.resurvey.map { invitation in
            if let after = detail.resurveyResponse?.score {
                return "Answered: \(after)" + (item.score.map { " (was \($0))" } ?? "")
            }
            switch invitation.status {
            case .scheduled: return "Scheduled for"
            case .sent, .responded: return "Sent, not answered yet"
            case .suppressed, .cancelled, .dismissed: return "Not sent: " + (invitation.reasonText ?? invitation.status.rawValue)
            }
        }
        resurveyAt = detail.resurvey.flatMap { invitation in
            invitation.status == .scheduled && detail.resurveyResponse?.score == nil
                ? DisplayDate(millis: invitation.sendAt, timeZone: timeZone) : nil
        }
        let definition = detail.survey?.definition
        answers = (detail.response?.answers ?? [:]).sorted { lhs, rhs in
            let order = definition?.questions.map(\.id) ?? []
            return (order.firstIndex(of: lhs.key) ?? .max, lhs.key) < (order.firstIndex(of: rhs.key) ?? .max, rhs.key)
        }.map { key, value in
            let question = definition?.questions.first { $0.id == key }
            let text = question.map { definition!.localized($0.text, definition!.defaultLanguage) } ?? key
            let shown: String
            if let list = value.arrayValue {
                shown = list.map { $0.stringValue ?? $0.jsonText }.joined(separator: ", ")
            } else {
                shown = value.stringValue ?? value.jsonText
            }
            return Answer(question: text, answer: shown)
        }
        let pairs = (detail.response?.attributes ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
        attributes = pairs.isEmpty ? nil : pairs.joined(separator: ", ")
        notes = detail.notes.map { Note(author: $0.authorLabel, text: $0.text, at: DisplayDate(millis: $0.createdAt, timeZone: timeZone)) }
        self.canWork = canWork
        let chosenStatus = values["status"] ?? item.status.rawValue
        statuses = ([item.status] + item.status.next).map {
            Option(value: $0.rawValue, label: Self.label($0), selected: $0.rawValue == chosenStatus)
        }
        let chosenOwner = values["owner_id"] ?? item.ownerId ?? ""
        owners = [Option(value: "", label: "Unassigned", selected: chosenOwner.isEmpty)]
            + members.sorted { $0.user.email < $1.user.email }.map {
                Option(value: $0.user.id, label: $0.user.email, selected: $0.user.id == chosenOwner)
            }
        outcomes = FollowUpCase.suggestedOutcomes
        outcomeValue = values["outcome"] ?? item.outcome ?? ""
        noteValue = values["text"] ?? ""
        self.error = error
        self.flash = flash
    }

    /// How a status reads: "open", "contacted", "resolved", "won't fix".
    public static func label(_ status: FollowUpStatus) -> String {
        status == .wontFix ? "won't fix" : status.rawValue
    }
}
