import Foundation
import Logging
import RapportCore

/// The living demo of `rapport serve --demo`: a year of a small European web shop's customers, orders, support
/// tickets and surveys in the Demo workspace, made by `DemoGenerator` (deterministic for a seed, dates relative to
/// today), stored by `DemoWriter` in a few large transactions, then the segments and the survey link created through
/// their services as an admin would. Runs only when the Demo workspace is created (`Bootstrap`).
public enum DemoData {
    /// What was made and how long it took.
    public struct Summary: Sendable {
        public var counts: [String: Int]
        public var generateSeconds: Double
        public var writeSeconds: Double
        public var totalSeconds: Double
        /// When the new returns policy started (the before/after change in the data).
        public var changeAt: Int64
    }

    public static func load(into services: AppServices, workspaceId: String, seed: UInt64 = 42,
                            logger: Logger? = nil) async throws -> Summary {
        let started = ContinuousClock.now
        let store = services.core.store
        guard let owner = try await store.read({ repos in
            try await repos.memberships.members(workspaceId: workspaceId, page: PageRequest(limit: 1)).items.first
        }) else { throw RapportError.notFound("workspace owner") }
        let now = services.core.clock.nowMillis
        let data = DemoGenerator.generate(workspaceId: workspaceId, ownerId: owner.user.id, now: now, seed: seed)
        let generated = ContinuousClock.now
        // The agents sign in with the demo password too, so the follow-up queue can be seen as one of them.
        let hash = try await services.core.passwords.hash(Bootstrap.demoPassword)
        try await DemoWriter(store: store).write(data, agentPasswordHash: hash)
        let written = ContinuousClock.now
        try await addSegmentsAndLink(services, workspaceId: workspaceId, owner: owner, now: now, cesSurveyId: data.surveys[2].id)
        let finished = ContinuousClock.now
        let summary = Summary(counts: data.counts, generateSeconds: (generated - started).seconds,
                              writeSeconds: (written - generated).seconds, totalSeconds: (finished - started).seconds,
                              changeAt: data.changeAt)
        logger?.notice("demo data: \(data.customers.count) customers, \(data.activities.count) timeline events, \(data.orders.count) orders, \(data.responses.count) survey responses in \(String(format: "%.1f", summary.totalSeconds)) s (generated in \(String(format: "%.1f", summary.generateSeconds)) s, stored in \(String(format: "%.1f", summary.writeSeconds)) s)")
        return summary
    }

    /// The segments a CX team would keep, and the CES survey's shared link, made through their services.
    static func addSegmentsAndLink(_ services: AppServices, workspaceId: String, owner: Member, now: Int64,
                                   cesSurveyId: String) async throws {
        guard let workspace = try await services.core.store.read({ try await $0.workspaces.find(id: workspaceId) }) else { return }
        let session = Session(tokenHash: "", userId: owner.user.id, workspaceId: workspaceId, csrfToken: "", createdAt: now,
                              expiresAt: now)
        let principal = Principal(caller: .user(owner.user, session: session), workspace: workspace, role: .owner)
        let segments: [(String, String, JSONValue)] = [
            ("Enterprise", "People at accounts of 1,000 employees or more",
             ["field": "trait.company_tier", "op": "eq", "value": "enterprise"]),
            ("At risk", "Detractors at their latest NPS who have not ordered in 60 days",
             ["all": [["field": "trait.last_nps_band", "op": "eq", "value": "detractor"],
                      ["not": ["field": "orders.last_order_at", "op": "within_days", "value": 60]]]]),
            ("Repeat buyers", "Two or more completed orders", ["field": "orders.count", "op": "gte", "value": 2]),
            ("Active pros", "Pro plan, logged in within 30 days",
             ["all": [["field": "trait.plan", "op": "eq", "value": "pro"],
                      ["field": "event.Logged In.count", "op": "gte", "value": 1, "within_days": 30]]]),
        ]
        for (name, description, rule) in segments {
            _ = try await services.segments.create(principal, name: name, description: description, rule: rule)
        }
        _ = try await services.surveyLinks.issue(principal, surveyId: cesSurveyId, rotate: false, ip: nil)
    }
}

extension Duration {
    /// The duration in seconds, for the log line.
    fileprivate var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
