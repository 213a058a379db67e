/// Performs a run's actions in the act job's transaction. `send_email` (a template) is the next action to add: a case
/// of `RuleAction`, a check in `problem()` and its effect in `perform()`.
struct AutomationActions {
    let deps: CoreDependencies
    let repos: any Repositories
    let rule: AutomationRule
    let run: AutomationRun

    /// Why the actions cannot run (checked before any of them has an effect); nil when they can.
    func problem() async throws -> String? {
        for (index, action) in rule.actions.enumerated() {
            switch action {
            case .webhook(let endpointId):
                guard let endpoint = try await repos.webhooks.find(workspaceId: rule.workspaceId, id: endpointId) else {
                    return "actions[\(index)]: the webhook endpoint \(endpointId) no longer exists"
                }
                guard endpoint.enabled else { return "actions[\(index)]: the webhook endpoint \(endpointId) is disabled" }
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
            }
        }
        try await writer.flush()
    }
}
