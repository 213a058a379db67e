import Foundation
import RapportCore
import RapportRuntime
import RapportStore
import Testing

/// The daily clean-up: finished jobs and settled webhook deliveries go after their retention, nothing else does, and
/// the runtime keeps its schedule. On SQLite, and on PostgreSQL when `RAPPORT_TEST_DATABASE_URL` is set.
@Suite("Housekeeping")
struct HousekeepingTests {
    static let day: Int64 = 86_400_000

    @Test func finishedJobsAndSettledDeliveriesGoAfterTheirRetentionAndNothingElse() async throws {
        let clock = ManualClock(millis: 1_800_000_000_000)
        try await TestApp.withRuntime(clock: clock.wall) { runtime in
            let services = runtime.services
            let store = services.core.store
            let acme = try await Fixture.make(services)
            let start = clock.nowMillis

            /// A job finished (or left) in `state` at the clock's time.
            func job(_ id: String, _ state: JobState) async throws {
                let now = clock.nowMillis
                // A job left queued is due in ten years, so that the claims below never take it.
                let runAt = state == .queued ? now + 3_650 * Self.day : now
                _ = try await store.write { try await $0.jobs.enqueue(Job(id: id, kind: "test", now: now, runAt: runAt)) }
                guard state != .queued else { return }
                if state == .cancelled {
                    _ = try await store.write { try await $0.jobs.cancel(id: id, workspaceId: nil, now: now) }
                    return
                }
                let claimed = try await store.write { try await $0.jobs.claim(owner: "t", limit: 1, now: now, leaseMillis: 60_000) }
                #expect(claimed.map(\.id) == [id])
                switch state {
                case .succeeded: _ = try await store.write { try await $0.jobs.complete(id: id, owner: "t", now: now) }
                case .failed: _ = try await store.write { try await $0.jobs.fail(id: id, owner: "t", error: "x", outcome: .failed, now: now) }
                case .dead: _ = try await store.write { try await $0.jobs.fail(id: id, owner: "t", error: "x", outcome: .dead, now: now) }
                default: break
                }
            }
            func delivery(_ id: String, _ status: WebhookDelivery.Status) async throws {
                let delivery = WebhookDelivery(id: id, workspaceId: acme.workspace.id, endpointId: "e", messageId: "msg_\(id)",
                                               eventType: .customerCreated, payload: "{}", status: status, createdAt: clock.nowMillis)
                try await store.write { try await $0.webhooks.insert(delivery) }
            }

            // 40 days ago: everything of its kind.
            for state in [JobState.succeeded, .cancelled, .failed, .dead, .queued] { try await job("old-\(state)", state) }
            for status in [WebhookDelivery.Status.succeeded, .failed, .pending] { try await delivery("old-\(status)", status) }
            // 10 days ago: past the 7 days of succeeded jobs, within the 30 of failed ones and of deliveries.
            clock.set(start + 30 * Self.day)
            for state in [JobState.succeeded, .failed] { try await job("mid-\(state)", state) }
            try await delivery("mid-succeeded", .succeeded)
            // Today.
            clock.set(start + 40 * Self.day)
            try await job("new-succeeded", .succeeded)

            let housekeeping = Housekeeping(store: store, clock: clock.wall, retention: runtime.config.retention)
            let outcome = try await housekeeping.prune()
            #expect(outcome == Housekeeping.Outcome(jobs: 5, webhookDeliveries: 2))

            var jobs = Set<String>()
            for id in ["old-succeeded", "old-cancelled", "old-failed", "old-dead", "old-queued", "mid-succeeded", "mid-failed",
                       "new-succeeded"] where try await store.read({ try await $0.jobs.find(id: id, workspaceId: nil) }) != nil {
                jobs.insert(id)
            }
            #expect(jobs == ["old-queued", "mid-failed", "new-succeeded"], "a queued job is never deleted, however old")
            var deliveries = Set<String>()
            for id in ["old-succeeded", "old-failed", "old-pending", "mid-succeeded"]
            where try await store.read({ try await $0.webhooks.delivery(workspaceId: acme.workspace.id, id: id) }) != nil {
                deliveries.insert(id)
            }
            #expect(deliveries == ["old-pending", "mid-succeeded"], "a pending delivery is still to be sent")

            // A second run finds nothing; the schedule that runs it daily is kept by the scheduler.
            #expect(try await housekeeping.prune() == Housekeeping.Outcome())
            try await runtime.scheduler().ensureSystemSchedules()
            let schedules = try await store.read { try await $0.schedules.list(workspaceId: nil) }
            let daily = try #require(schedules.first { $0.key == Housekeeping.scheduleKey })
            #expect(daily.kind == Housekeeping.jobKind && daily.cron == "17 3 * * *")
            #expect(runtime.jobHandlers.contains { $0.kind == Housekeeping.jobKind })
        }
    }
}
