import Foundation
import RapportCore

/// The workspace's automation rules (name, trigger, state, last run) and the form to add one.
public struct AutomationRulesPage: PageModel {
    public static let template = "automation_rules"
    public struct Row: Sendable {
        public let name: String
        public let pageURL: String
        public let trigger: String
        public let enabled: Bool
        public let lastRunState: String?
        public let lastRunAt: DisplayDate?
    }

    public struct Option: Sendable {
        public let value: String
        public let label: String
        public let selected: Bool
    }

    public let rules: [Row]
    public let triggerTypes: [Option]
    public let endpoints: [Option]
    public let hasEndpoints: Bool
    public let templates: [Option]
    public let hasTemplates: Bool
    /// Active surveys, for the "send the survey" action.
    public let surveys: [Option]
    public let hasSurveys: Bool
    /// The form's values as sent, to fill it again after an error.
    public let values: [String: String]
    public let error: String?
    public let flash: String?

    public init(rules: [AutomationRule], lastRuns: [String: AutomationRun], endpoints: [WebhookEndpoint],
                templates: [EmailTemplate] = [], surveys: [Survey] = [], values: [String: String] = [:], error: String?, flash: String?, timeZone: TimeZone = DisplayDate.utc) {
        self.rules = rules.map { rule in
            let last = lastRuns[rule.id]
            return Row(name: rule.name, pageURL: WebURL.automationRule(rule.id), trigger: rule.trigger.summary, enabled: rule.enabled,
                       lastRunState: last.map { run in run.reason.map { "\(run.state.rawValue) (\($0.rawValue))" } ?? run.state.rawValue },
                       lastRunAt: last.map { DisplayDate(millis: $0.createdAt, timeZone: timeZone) })
        }
        let chosen = values["trigger_type"] ?? RuleTrigger.Kind.event.rawValue
        triggerTypes = RuleTrigger.Kind.allCases.map {
            Option(value: $0.rawValue, label: $0.rawValue.replacingOccurrences(of: "_", with: " "), selected: $0.rawValue == chosen)
        }
        self.endpoints = endpoints.map { Option(value: $0.id, label: $0.url, selected: values["webhook_endpoint_id"] == $0.id) }
        hasEndpoints = !endpoints.isEmpty
        self.templates = templates.map { Option(value: $0.id, label: $0.name, selected: values["email_template_id"] == $0.id) }
        hasTemplates = !templates.isEmpty
        self.surveys = surveys.map { Option(value: $0.id, label: $0.name, selected: values["survey_id"] == $0.id) }
        hasSurveys = !surveys.isEmpty
        self.values = values
        self.error = error
        self.flash = flash
    }
}

/// One rule: what it does, its state with the pause/resume and delete actions, and its recent runs.
public struct AutomationRulePage: PageModel {
    public static let template = "automation_rule"
    public struct Run: Sendable {
        public let createdAt: DisplayDate
        public let runAt: DisplayDate
        public let customerURL: String
        public let customerId: String
        public let state: String
        public let detail: String?
    }

    public let name: String
    public let enabled: Bool
    public let trigger: String
    public let triggerJSON: String
    public let condition: String?
    public let delay: String
    public let actions: [String]
    public let limits: String
    public let pauseURL: String
    public let resumeURL: String
    public let deleteURL: String
    public let runs: [Run]
    public let olderURL: String?
    public let flash: String?

    public init(rule: AutomationRule, runs: Page<AutomationRun>, flash: String?, timeZone: TimeZone = DisplayDate.utc) {
        name = rule.name
        enabled = rule.enabled
        trigger = rule.trigger.summary
        triggerJSON = rule.trigger.json.jsonText
        condition = rule.condition.map(\.json.jsonText)
        delay = rule.delaySeconds == 0 ? "none" : Self.duration(rule.delaySeconds)
        actions = rule.actions.map(\.summary)
        limits = "\(rule.maxRunsPerCustomer) per customer in \(rule.customerWindowHours) h; \(rule.maxRunsPerHour) per hour in all"
        pauseURL = WebURL.automationAction(rule.id, "pause")
        resumeURL = WebURL.automationAction(rule.id, "resume")
        deleteURL = WebURL.automationAction(rule.id, "delete")
        self.runs = runs.items.map { run in
            Run(createdAt: DisplayDate(millis: run.createdAt, timeZone: timeZone), runAt: DisplayDate(millis: run.runAt, timeZone: timeZone),
                customerURL: WebURL.customer(run.customerId), customerId: run.customerId, state: run.state.rawValue,
                detail: run.reason?.rawValue ?? run.error)
        }
        olderURL = runs.nextCursor.map { WebURL.automationRule(rule.id, cursor: $0) }
        self.flash = flash
    }

    /// "1 h 30 min", "2 d", "45 s".
    static func duration(_ seconds: Int) -> String {
        let parts = [(seconds / 86_400, "d"), (seconds % 86_400 / 3_600, "h"), (seconds % 3_600 / 60, "min"), (seconds % 60, "s")]
        return parts.filter { $0.0 > 0 }.map { "\($0.0) \($0.1)" }.joined(separator: " ")
    }
}
