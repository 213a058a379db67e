import Foundation
import Hummingbird
import RapportCore
import RapportWeb

/// Automation rules in the browser: the list with the form to add one, and one rule with its runs and the pause,
/// resume and delete actions. Mounted on the session group; the service checks roles.
struct AutomationPages: Sendable {
    let automation: AutomationService
    let webhooks: WebhookService
    let emails: EmailService
    let surveys: SurveyService
    let pages: PageResponder

    static let notices = [
        "created": "The rule is active: it acts on what happens from now on.", "paused": "The rule is paused.",
        "resumed": "The rule is active again.", "deleted": "The rule and its runs are deleted.",
    ]
    static let formFields = ["name", "trigger_type", "trigger_target", "min_total", "condition", "delay_minutes", "trait_name",
                             "trait_value", "note", "webhook_endpoint_id", "email_template_id", "email_purpose",
                             "survey_id"]

    func add(to group: RouterGroup<AppRequestContext>) {
        group.get("/settings/automation") { request, context in
            try await listPage(try context.requirePrincipal(), values: [:], error: nil, flash: notice(request))
        }
        group.post("/settings/automation") { request, context in
            let (principal, form) = try await context.signedInForm(request)
            var values: [String: String] = [:]
            for field in Self.formFields { values[field] = form[field] }
            do {
                let rule = try await automation.create(principal, fields: try Self.ruleFields(values), ip: context.remoteIP)
                return Redirect.to(WebURL.automationRule(rule.id, done: "created"))
            } catch let error as RapportError where error.kind == .validation {
                return try await listPage(principal, values: values, error: error.message, flash: nil, status: .unprocessableContent)
            }
        }
        group.get("/settings/automation/:rule_id") { request, context in
            let principal = try context.requirePrincipal()
            let id = try context.id("rule_id", of: "automation rule")
            let rule = try await automation.get(principal, id: id)
            let runs = try await automation.runs(principal, ruleId: id, page: try request.pageRequest())
            return try await pages.html(AutomationRulePage(rule: rule, runs: runs, flash: notice(request), timeZone: principal.displayZone),
                                        for: principal)
        }
        group.post("/settings/automation/:rule_id/pause") { request, context in try await setEnabled(false, request, context) }
        group.post("/settings/automation/:rule_id/resume") { request, context in try await setEnabled(true, request, context) }
        group.post("/settings/automation/:rule_id/delete") { request, context in
            let (principal, _) = try await context.signedInForm(request)
            try await automation.delete(principal, id: try context.id("rule_id", of: "automation rule"), ip: context.remoteIP)
            return Redirect.to(WebURL.automation(done: "deleted"))
        }
    }

    private func setEnabled(_ enabled: Bool, _ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (principal, _) = try await context.signedInForm(request)
        let id = try context.id("rule_id", of: "automation rule")
        _ = try await automation.setEnabled(principal, id: id, enabled: enabled, ip: context.remoteIP)
        return Redirect.to(WebURL.automationRule(id, done: enabled ? "resumed" : "paused"))
    }

    private func notice(_ request: Request) -> String? {
        request.uri.queryParameters.get("done").flatMap { Self.notices[String($0)] }
    }

    private func listPage(_ principal: Principal, values: [String: String], error: String?, flash: String?,
                          status: HTTPResponse.Status = .ok) async throws -> Response {
        let rules = try await automation.list(principal, page: PageRequest(limit: PageRequest.maxLimit)).items
        let lastRuns = try await automation.lastRuns(principal, of: rules)
        // Members who may not manage webhooks see the form without the webhook choice.
        let endpoints = (try? await webhooks.list(principal, page: PageRequest(limit: PageRequest.maxLimit)).items) ?? []
        let templates = (try? await emails.templates(principal, page: PageRequest(limit: PageRequest.maxLimit)).items) ?? []
        let active = (try? await surveys.list(principal, status: .active, page: PageRequest(limit: PageRequest.maxLimit)).items) ?? []
        let page = AutomationRulesPage(rules: rules, lastRuns: lastRuns, endpoints: endpoints, templates: templates, surveys: active,
                                       values: values, error: error,
                                       flash: flash, timeZone: principal.displayZone)
        return try await pages.html(page, for: principal, status: status)
    }

    /// The form as the rule's JSON fields (the API's), so the service validates both the same way.
    static func ruleFields(_ form: [String: String]) throws(RapportError) -> [String: JSONValue] {
        func text(_ key: String) -> String? { form[key].map(\.trimmed).flatMap { $0.isEmpty ? nil : $0 } }
        var fields: [String: JSONValue] = ["name": .string(form["name"] ?? "")]
        let type = text("trigger_type") ?? RuleTrigger.Kind.event.rawValue
        var trigger: [String: JSONValue] = ["type": .string(type)]
        switch RuleTrigger.Kind(rawValue: type) {
        case .event: trigger["event"] = JSONValue(text("trigger_target"))
        case .segmentEntered, .segmentExited: trigger["segment_id"] = JSONValue(text("trigger_target"))
        case .consentChanged: trigger["purpose"] = JSONValue(text("trigger_target"))
        case .orderCompleted:
            if let raw = text("min_total") {
                guard let total = Double(raw) else { throw RapportError.invalid("trigger.min_total", "The minimum order total must be a number.") }
                trigger["min_total"] = .number(total)
            }
        case nil: break
        }
        fields["trigger"] = .object(trigger)
        if let raw = text("condition") {
            guard let condition = JSONValue.parse(raw) else { throw RapportError.invalid("condition", "The condition is not valid JSON.") }
            fields["condition"] = condition
        }
        if let raw = text("delay_minutes") {
            guard let minutes = Int(raw), minutes >= 0, minutes <= AutomationRule.maxDelaySeconds / 60 else {
                throw RapportError.invalid("delay_seconds", "The wait must be a whole number of minutes from 0 to 43200 (30 days).")
            }
            fields["delay_seconds"] = JSONValue(minutes * 60)
        }
        var actions: [JSONValue] = []
        if let name = text("trait_name") {
            let raw = form["trait_value"] ?? ""
            actions.append(["type": "set_trait", "trait": .string(name), "value": JSONValue.parse(raw) ?? .string(raw)])
        }
        if let note = text("note") { actions.append(["type": "add_note", "text": .string(note)]) }
        if let endpoint = text("webhook_endpoint_id") { actions.append(["type": "webhook", "endpoint_id": .string(endpoint)]) }
        if let template = text("email_template_id") {
            actions.append(["type": "send_email", "template_id": .string(template), "purpose": JSONValue(text("email_purpose"))])
        }
        if let survey = text("survey_id") { actions.append(["type": "send_survey", "survey_id": .string(survey)]) }
        fields["actions"] = .array(actions)
        return fields
    }
}
