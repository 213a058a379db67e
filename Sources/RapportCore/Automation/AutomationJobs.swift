import Foundation

/// `automation.evaluate`: matches the occurrences a transaction queued against the workspace's enabled rules, checks
/// each matching rule's condition against the customer's facts as they are now and its limits, and records a run for
/// each (scheduled, or skipped with its reason). A scheduled run gets an `automation.act` job due when its delay has
/// passed. Idempotent: a run's dedupe key is this job's id, the occurrence's index and the rule's id, so a re-run
/// adds nothing; the runs and their act jobs commit together.
public struct AutomationEvaluateHandler: JobHandler {
    let deps: CoreDependencies
    public var kind: String { AutomationTriggers.evaluateKind }

    public init(_ deps: CoreDependencies) { self.deps = deps }

    public func run(_ job: Job) async throws {
        guard let workspaceId = job.workspaceId,
              let items = JSONValue.parse(job.payload)?.objectValue?["triggers"]?.arrayValue else {
            throw PermanentJobError("automation.evaluate needs a workspace and a triggers list")
        }
        let occurrences = items.compactMap(TriggerOccurrence.parse)
        let rules = try await deps.store.read {
            try await $0.automation.enabled(workspaceId: workspaceId, kinds: Set(occurrences.map(\.kind)))
        }
        var matches: [(index: Int, occurrence: TriggerOccurrence, rule: AutomationRule)] = []
        for (index, occurrence) in occurrences.enumerated() {
            for rule in rules where rule.trigger.matches(occurrence) { matches.append((index, occurrence, rule)) }
        }
        guard !matches.isEmpty else { return }
        let now = deps.clock.nowMillis
        let customerIds = Array(Set(matches.map(\.occurrence.customerId))).sorted()
        let conditions = matches.compactMap(\.rule.condition)
        // Each customer as they are now: a merged profile's survivor, or nothing once erased.
        let (live, conditionFacts) = try await deps.store.read { repos in
            var live: [String: String] = [:]
            for id in customerIds {
                if let customer = try await liveCustomer(repos, workspaceId: workspaceId, id: id) { live[id] = customer.id }
            }
            let facts = try await ConditionFacts.load(repos, workspaceId: workspaceId, customerIds: Array(Set(live.values)).sorted(),
                                                      conditions: conditions, now: now)
            return (live, facts)
        }
        let ids = deps.ids
        let jobId = job.id
        let found = matches
        try await deps.store.write { repos in
            // Counting a rule's runs and adding one happen under its lock, so concurrent evaluations keep its limits.
            try await repos.automation.lockRunLimits(workspaceId: workspaceId, ruleIds: found.map(\.rule.id))
            for (index, occurrence, rule) in found {
                guard let customerId = live[occurrence.customerId], conditionFacts.facts[customerId] != nil else { continue }
                var run = AutomationRun(id: ids.next(), workspaceId: workspaceId, ruleId: rule.id, customerId: customerId,
                                        trigger: occurrence.json, state: .scheduled, dedupeKey: "\(jobId):\(index):\(rule.id)",
                                        createdAt: now, runAt: now + Int64(rule.delaySeconds) * 1_000)
                if !conditionFacts.holds(rule.condition, for: customerId) {
                    run.skip(.conditionNotMet, at: now)
                } else if try await Self.limited(rule, customerId: customerId, now: now, in: repos) {
                    run.skip(.rateLimited, at: now)
                }
                guard try await repos.automation.insert(run), run.state == .scheduled else { continue }
                _ = try await repos.jobs.enqueue(Job(id: ids.next(), kind: AutomationTriggers.actKind,
                                                     payload: (["run_id": .string(run.id)] as JSONValue).jsonText,
                                                     workspaceId: workspaceId, now: now, runAt: run.runAt,
                                                     idempotencyKey: run.id))
            }
        }
    }

    /// Whether the rule has run as often as its limits allow (runs not skipped count, scheduled ones included).
    static func limited(_ rule: AutomationRule, customerId: String, now: Int64, in repos: any Repositories) async throws -> Bool {
        let perCustomer = try await repos.automation.countRuns(
            workspaceId: rule.workspaceId, ruleId: rule.id, customerId: customerId,
            since: now - Int64(rule.customerWindowHours) * 3_600_000)
        if perCustomer >= rule.maxRunsPerCustomer { return true }
        let perHour = try await repos.automation.countRuns(workspaceId: rule.workspaceId, ruleId: rule.id, customerId: nil,
                                                            since: now - 3_600_000)
        return perHour >= rule.maxRunsPerHour
    }
}

/// `automation.act`: runs one scheduled run's actions when its time has come. It checks again that the rule is still
/// enabled (skipped `rule_paused` otherwise), the customer still exists (a merged profile's survivor gets the
/// actions; an erased one: skipped `customer_erased`) and, for a delayed run, that the rule's condition still holds
/// for them (skipped `condition_not_met` otherwise), then performs the actions and marks the run completed, all in
/// one transaction. Idempotent: a run that is no longer scheduled is left alone, so a re-run after a lost lease
/// changes nothing. An action that cannot succeed (its webhook endpoint was deleted) fails the run, recording why,
/// before any action has an effect.
public struct AutomationActHandler: JobHandler {
    let deps: CoreDependencies
    let outbox: EmailOutbox?
    public var kind: String { AutomationTriggers.actKind }

    public init(_ deps: CoreDependencies, outbox: EmailOutbox? = nil) {
        self.deps = deps
        self.outbox = outbox
    }

    public func run(_ job: Job) async throws {
        guard let workspaceId = job.workspaceId,
              let runId = JSONValue.parse(job.payload)?.objectValue?["run_id"]?.stringValue else {
            throw PermanentJobError("automation.act needs a workspace and a run_id")
        }
        let (deps, outbox) = (self.deps, self.outbox)
        try await deps.store.write { repos in
            let now = deps.clock.nowMillis
            guard var run = try await repos.automation.run(workspaceId: workspaceId, id: runId), run.state == .scheduled else { return }
            guard let rule = try await repos.automation.find(workspaceId: workspaceId, id: run.ruleId), rule.enabled else {
                run.skip(.rulePaused, at: now)
                return try await repos.automation.update(run)
            }
            try await repos.customers.lockIdentities(workspaceId: workspaceId)
            guard let customer = try await liveCustomer(repos, workspaceId: workspaceId, id: run.customerId) else {
                run.skip(.customerErased, at: now)
                return try await repos.automation.update(run)
            }
            run.customerId = customer.id
            // A delayed run acts on the customer as they are when its time comes: the condition is evaluated again.
            if let condition = rule.condition, run.runAt > run.createdAt {
                let facts = try await ConditionFacts.load(repos, workspaceId: workspaceId, customerIds: [customer.id],
                                                          conditions: [condition], now: now)
                guard facts.holds(condition, for: customer.id) else {
                    run.skip(.conditionNotMet, at: now)
                    return try await repos.automation.update(run)
                }
            }
            let actions = AutomationActions(deps: deps, repos: repos, rule: rule, run: run, outbox: outbox)
            if let problem = try await actions.problem() {
                run.state = .failed
                run.error = problem
            } else {
                try await actions.perform()
                run.state = .completed
            }
            run.finishedAt = now
            try await repos.automation.update(run)
        }
    }
}

/// The live profile for `id` (a merged one's survivor), or nil once erased; a database failure still throws, so the
/// job is retried rather than treating the customer as gone.
func liveCustomer(_ repos: any Repositories, workspaceId: String, id: String) async throws -> Customer? {
    do {
        return try await CustomerService.live(repos, workspaceId: workspaceId, id: id)
    } catch let error as RapportError where error.kind == .notFound {
        return nil
    }
}

extension AutomationRun {
    mutating func skip(_ reason: AutomationSkipReason, at now: Int64) {
        state = .skipped
        self.reason = reason
        finishedAt = now
    }
}

/// What rules' conditions read about some customers, as they are now: their facts (traits, event counts in the windows
/// the conditions name, orders, seen times), their segment memberships when a condition names a segment, and the RFM
/// scores when one reads them.
struct ConditionFacts {
    let facts: [String: CustomerFacts]
    let context: SegmentContext

    static func load(_ repos: any Repositories, workspaceId: String, customerIds: [String], conditions: [SegmentRule],
                     now: Int64) async throws -> ConditionFacts {
        let events = conditions.reduce(into: Set<EventWindow>()) { $0.formUnion($1.eventWindows) }
        var facts = try await repos.segments.facts(workspaceId: workspaceId, customerIds: customerIds, events: events, now: now)
        if conditions.contains(where: { !$0.segmentIds.isEmpty }) {
            for index in facts.indices {
                facts[index].segmentIds = Set(try await repos.segments.memberships(
                    workspaceId: workspaceId, customerId: facts[index].customerId).map(\.id))
            }
        }
        let rfm = conditions.contains { $0.usesRFM }
            ? RFMScorer(purchasers: try await repos.segments.purchasers(workspaceId: workspaceId)) : .empty
        return ConditionFacts(facts: Dictionary(facts.map { ($0.customerId, $0) }, uniquingKeysWith: { a, _ in a }),
                              context: SegmentContext(now: now, rfm: rfm))
    }

    /// Whether `condition` (none: always) holds for the customer; false for a customer without facts.
    func holds(_ condition: SegmentRule?, for customerId: String) -> Bool {
        guard let customerFacts = facts[customerId] else { return false }
        return condition?.matches(customerFacts, context: context) ?? true
    }
}
