/// Performs a run's actions in the act job's transaction. A new action is a case of `RuleAction`, a check in
/// `problem()` and its effect in `perform()`.
struct AutomationActions {
    let deps: CoreDependencies
    let repos: any Repositories
    let rule: AutomationRule
    let run: AutomationRun
    /// The email outbox (`send_email`); nil where a program sends no email.
    let outbox: EmailOutbox?

    /// Why the actions cannot run (checked before any of them has an effect); nil when they can.
    func problem() async throws -> String? {
        for (index, action) in rule.actions.enumerated() {
            switch action {
            case .webhook(let endpointId):
                guard let endpoint = try await repos.webhooks.find(workspaceId: rule.workspaceId, id: endpointId) else {
                    return "actions[\(index)]: the webhook endpoint \(endpointId) no longer exists"
                }
                guard endpoint.enabled else { return "actions[\(index)]: the webhook endpoint \(endpointId) is disabled" }
            case .sendEmail(let templateId, _):
                guard let outbox else { return "actions[\(index)]: this program cannot send email" }
                guard try await repos.emails.template(workspaceId: rule.workspaceId, id: templateId) != nil else {
                    return "actions[\(index)]: the email template \(templateId) no longer exists"
                }
                if let problem = try await outbox.problem(in: repos, workspaceId: rule.workspaceId, customerId: run.customerId) {
                    return "actions[\(index)]: \(problem)"
                }
            case .sendSurvey(let surveyId):
                guard let survey = try await repos.surveys.find(workspaceId: rule.workspaceId, id: surveyId) else {
                    return "actions[\(index)]: the survey \(surveyId) no longer exists"
                }
                guard survey.status == .active else {
                    return "actions[\(index)]: the survey \(survey.name) is \(survey.status.rawValue), not active"
                }
            case .setTrait, .addNote: break
            }
        }
        return nil
    }

    func perform() async throws {
        let now = deps.clock.nowMillis
        var writer = ProfileWriter(workspaceId: rule.workspaceId, repos: repos, deps: deps)
        for (index, action) in rule.actions.enumerated() {
            switch action {
            case .setTrait(let name, let value):
                try await writer.applyTraits([name: value], to: run.customerId, at: now, source: "automation")
            case .addNote(let text):
                writer.append(.note, name: rule.name, for: run.customerId, at: now, properties: [
                    "text": .string(text), "source": "automation", "rule_id": .string(rule.id), "run_id": .string(run.id),
                ])
            case .webhook(let endpointId):
                guard let endpoint = try await repos.webhooks.find(workspaceId: rule.workspaceId, id: endpointId) else { continue }
                let body: JSONValue = [
                    "type": .string(WebhookEventType.automationRuleFired.rawValue), "timestamp": .string(Timestamp.iso8601(now)),
                    "data": ["customer_id": .string(run.customerId), "rule_id": .string(rule.id), "rule_name": .string(rule.name),
                             "run_id": .string(run.id), "trigger": run.trigger],
                ]
                // One message id per run and action: a receiver drops a repeat of the same firing.
                _ = try await WebhookEvents(deps).enqueue(in: repos, to: endpoint, type: .automationRuleFired,
                                                          messageId: "msg_\(run.id)_\(index)", customerId: run.customerId,
                                                          payload: body.jsonText)
            case .sendEmail(let templateId, let purpose):
                guard let outbox, let template = try await repos.emails.template(workspaceId: rule.workspaceId, id: templateId) else {
                    continue
                }
                let trigger = run.trigger.objectValue ?? [:]
                var data = trigger["properties"]?.objectValue ?? [:]
                data["trigger"] = run.trigger
                data["rule"] = ["id": .string(rule.id), "name": .string(rule.name)]
                // Contact rules apply here as for every email: a blocked one is recorded with its reason.
                _ = try await outbox.queue(in: repos, EmailOutbox.Request(
                    workspaceId: rule.workspaceId, customerId: run.customerId, to: nil, purpose: purpose,
                    templateId: template.id, content: template.content, data: .object(data), source: "automation"))
            case .sendSurvey(let surveyId):
                guard let survey = try await repos.surveys.find(workspaceId: rule.workspaceId, id: surveyId) else { continue }
                // Sent now (the rule's delay has passed), under the contact rules, which the send job applies.
                _ = try await SurveyInvitationService.schedule(
                    in: repos, deps: deps, survey: survey, customerId: run.customerId,
                    attributes: SurveyInvitationService.attributes(fromTrigger: run.trigger), source: "automation", sendAt: now)
            }
        }
        try await writer.flush()
    }
}
