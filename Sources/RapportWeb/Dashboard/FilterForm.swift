import Foundation
import Mustache
import RapportCore

/// The filter form of the dashboard and of a survey's results: a GET form, so the filters stay in the URL.
public struct FilterForm: Sendable {
    /// An option of a select. Read by name without reflection (`MustacheParent`): pages draw dozens of them.
    public struct Option: Sendable, MustacheParent {
        public let value: String
        public let label: String
        public let selected: Bool

        public func child(named name: String) -> Any? {
            switch name {
            case "value": value
            case "label": label
            case "selected": selected
            default: nil
            }
        }
    }

    public struct Hidden: Sendable, MustacheParent {
        public let name: String
        public let value: String

        public func child(named key: String) -> Any? {
            switch key {
            case "name": name
            case "value": value
            default: nil
            }
        }
    }

    public let action: String
    public let ranges: [Option]
    public let from: String
    public let to: String
    /// nil on a survey's results page, which has its survey.
    public let surveys: [Option]?
    public let hasSurveySelect: Bool
    public let segments: [Option]
    public let channels: [Option]
    public let intervals: [Option]
    /// The breakdown's state, carried through a change of filters.
    public let hidden: [Hidden]
    /// "the last 90 days", "1 Mar 2026 to 31 Mar 2026".
    public let rangeText: String
    /// The view in one line, for the printed page: "the last 90 days · all surveys · segment VIP · channel email".
    public let summary: String

    public init(action: String, filter: MetricFilter, surveys: [Survey]?, segments: [Segment], timeZone: TimeZone,
                keepsBreakdown: Bool = true) {
        self.action = action
        ranges = MetricFilter.presets.map { Option(value: $0, label: "Last \($0) days", selected: filter.range == $0) }
            + [Option(value: "custom", label: "From and to dates", selected: filter.range == "custom")]
        from = filter.range == "custom" ? filter.fromDay ?? "" : ""
        to = filter.range == "custom" ? filter.toDay ?? "" : ""
        self.surveys = surveys.map { list in
            [Option(value: "", label: "All surveys", selected: filter.surveyId == nil)]
                + list.map { Option(value: $0.id, label: $0.name, selected: $0.id == filter.surveyId) }
        }
        hasSurveySelect = surveys != nil
        self.segments = [Option(value: "", label: "All customers", selected: filter.segmentId == nil)]
            + segments.map { Option(value: $0.id, label: $0.name, selected: $0.id == filter.segmentId) }
        channels = [Option(value: "", label: "All channels", selected: filter.channel == nil)]
            + SurveyResponse.channels.map { Option(value: $0, label: $0, selected: $0 == filter.channel) }
        intervals = [Option(value: "", label: "Automatic", selected: filter.interval == nil)]
            + MetricPeriod.allCases.map { Option(value: $0.rawValue, label: "By \($0.rawValue)", selected: $0 == filter.interval) }
        var hidden: [Hidden] = []
        if keepsBreakdown {
            if filter.by != "agent" { hidden.append(Hidden(name: "by", value: filter.by)) }
            if filter.metric != .nps { hidden.append(Hidden(name: "metric", value: filter.metric.rawValue)) }
        }
        if filter.sort != "-n" { hidden.append(Hidden(name: "sort", value: filter.sort)) }
        self.hidden = hidden
        rangeText = filter.rangeText(timeZone: timeZone)
        let survey = self.surveys?.first(where: \.selected).map { $0.value.isEmpty ? "all surveys" : "survey \($0.label)" }
        let segment = self.segments.first(where: \.selected).map { $0.value.isEmpty ? "all customers" : "segment \($0.label)" }
        let channel = channels.first(where: \.selected).map { $0.value.isEmpty ? "all channels" : "channel \($0.label)" }
        summary = ([rangeText] + [survey, segment, channel].compactMap { $0 }).joined(separator: " · ")
    }
}

/// A recent response with a comment: the words, the score and who said it.
public struct CommentItem: Sendable {
    public let text: String
    public let score: String
    public let band: String?
    public let surveyName: String
    public let at: DisplayDate?
    public let customerURL: String?

    /// The first non-empty answer to a text question of `survey`, cut at 280 characters; nil without one.
    public init?(_ response: SurveyResponse, survey: Survey, timeZone: TimeZone) {
        let textIds = survey.definition.questions.filter { $0.type == .text }.map(\.id)
        guard let text = textIds.compactMap({ response.answers[$0]?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines) })
            .first(where: { !$0.isEmpty }) else { return nil }
        self.text = text.count > 280 ? String(text.prefix(279)) + "…" : text
        score = response.score.map(String.init) ?? "–"
        band = response.band?.rawValue
        surveyName = survey.name
        at = response.submittedAt.map { DisplayDate(millis: $0, timeZone: timeZone) }
        customerURL = response.customerId.map { WebURL.customer($0) }
    }
}

/// Open and overdue follow-up cases at a glance, with the first few to act on.
public struct FollowUpSummary: Sendable {
    public struct Item: Sendable {
        public let url: String
        public let label: String
        public let due: DisplayDate
        public let overdue: Bool
    }

    public let open: String
    public let overdue: String
    public let hasOverdue: Bool
    public let items: [Item]
    public let listURL: String

    /// `open` and `overdue` are the first pages of the open (and contacted) cases and of the overdue ones; a count
    /// with more pages reads "200+".
    public init(open: Page<FollowUpCase>, overdue: Page<FollowUpCase>, surveyNames: [String: String], now: Int64, timeZone: TimeZone) {
        self.open = "\(open.items.count)\(open.nextCursor == nil ? "" : "+")"
        self.overdue = "\(overdue.items.count)\(overdue.nextCursor == nil ? "" : "+")"
        hasOverdue = !overdue.items.isEmpty
        let first = (overdue.items + open.items.filter { !$0.isOverdue(at: now) }).prefix(5)
        items = first.map { item in
            Item(url: WebURL.followUp(item.id),
                 label: "\(surveyNames[item.surveyId] ?? "Survey") · score \(item.score.map(String.init) ?? "–") · \(item.status.rawValue)",
                 due: DisplayDate(millis: item.dueAt, timeZone: timeZone), overdue: item.isOverdue(at: now))
        }
        listURL = WebURL.followUps(show: .all)
    }
}

/// The filter form on its own (template `filter_form`): the dashboard draws it with a view it keeps, so that a kept
/// view's viewers read neither the survey and segment lists nor the form's templates again.
public struct FilterFormPart: PageModel {
    public static let template = "filter_form"
    /// A part of a page, not a page of its own.
    public static var section: NavSection? { nil }

    public let form: FilterForm

    public init(_ form: FilterForm) { self.form = form }
}
