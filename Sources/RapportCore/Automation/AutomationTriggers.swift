/// Queues what happened to customers for the rules engine, from inside the transaction of the change (like
/// `WebhookEvents`): one `automation.evaluate` job per transaction carrying every occurrence some enabled rule of the
/// workspace listens for, and nothing at all (after one small read) when none does. Rules are evaluated by that job,
/// off the writer's path.
public struct AutomationTriggers: Sendable {
    let deps: CoreDependencies

    public init(_ deps: CoreDependencies) { self.deps = deps }

    /// The job kind that matches occurrences against rules and records runs.
    public static let evaluateKind = "automation.evaluate"
    /// The job kind that runs one run's actions when its delay has passed.
    public static let actKind = "automation.act"

    public func enqueue(in repos: any Repositories, workspaceId: String, _ occurrences: [TriggerOccurrence]) async throws {
        guard !occurrences.isEmpty else { return }
        let listening = try await repos.automation.enabledTriggers(workspaceId: workspaceId)
        guard !listening.isEmpty else { return }
        let wanted = occurrences.filter {
            listening.contains(TriggerKey(kind: $0.kind, key: $0.key)) || listening.contains(TriggerKey(kind: $0.kind, key: nil))
        }
        guard !wanted.isEmpty else { return }
        let now = deps.clock.nowMillis
        let payload: JSONValue = ["triggers": .array(wanted.map(\.json))]
        _ = try await repos.jobs.enqueue(Job(id: deps.ids.next(), kind: Self.evaluateKind, payload: payload.jsonText,
                                             workspaceId: workspaceId, now: now))
    }
}
