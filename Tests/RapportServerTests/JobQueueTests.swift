import Foundation
import RapportCore
import RapportStore
import Testing

/// The job queue's store: enqueue inside the caller's transaction, idempotency, claims by time and priority, and
/// leases that only their holder may settle. Runs on SQLite, and on PostgreSQL when `RAPPORT_TEST_DATABASE_URL` is set.
@Suite("Job queue")
struct JobQueueTests {
    static let now: Int64 = 1_800_000_000_000

    static func job(_ id: String, kind: String = "test", runAt: Int64? = nil, priority: Int = 0, key: String? = nil,
                    workspaceId: String? = nil) -> Job {
        Job(id: id, kind: kind, payload: #"{"n":1}"#, workspaceId: workspaceId, now: now, runAt: runAt, priority: priority,
            idempotencyKey: key)
    }

    static func withStore(_ body: (SQLDataStore) async throws -> Void) async throws {
        try await TestApp.withDatabase { database in try await body(SQLDataStore(database: database)) }
    }

    struct Rollback: Error {}

    @Test func aJobEnqueuedInATransactionThatRollsBackIsNotStored() async throws {
        try await Self.withStore { store in
            await #expect(throws: Rollback.self) {
                try await store.write { repos in
                    _ = try await repos.jobs.enqueue(Self.job("j-1"))
                    throw Rollback()
                }
            }
            #expect(try await store.read { try await $0.jobs.find(id: "j-1", workspaceId: nil) } == nil)
            #expect(try await store.read { try await $0.jobs.counts(workspaceId: nil) }.isEmpty)
            // Committed with the caller's write, it is there.
            _ = try await store.write { try await $0.jobs.enqueue(Self.job("j-2")) }
            let stored = try #require(try await store.read { try await $0.jobs.find(id: "j-2", workspaceId: nil) })
            #expect(stored == Self.job("j-2"))
        }
    }

    @Test func aSecondEnqueueWithTheSameIdempotencyKeyReturnsTheFirstJob() async throws {
        try await Self.withStore { store in
            let first = try await store.write { try await $0.jobs.enqueue(Self.job("j-1", key: "order-7")) }
            let again = try await store.write { try await $0.jobs.enqueue(Self.job("j-2", key: "order-7")) }
            #expect(first.id == "j-1" && again.id == "j-1")
            // The key is unique per kind (and workspace), and a job without a key is never deduplicated.
            let otherKind = try await store.write { try await $0.jobs.enqueue(Self.job("j-3", kind: "other", key: "order-7")) }
            #expect(otherKind.id == "j-3")
            _ = try await store.write { try await $0.jobs.enqueue(Self.job("j-4")) }
            _ = try await store.write { try await $0.jobs.enqueue(Self.job("j-5")) }
            let counts = try await store.read { try await $0.jobs.counts(workspaceId: nil) }
            #expect(counts == [JobCount(kind: "other", state: .queued, count: 1), JobCount(kind: "test", state: .queued, count: 3)])
        }
    }

    @Test func aJobDueLaterIsNotClaimedEarly() async throws {
        try await Self.withStore { store in
            _ = try await store.write { try await $0.jobs.enqueue(Self.job("later", runAt: Self.now + 10_000)) }
            let early = try await store.write { try await $0.jobs.claim(owner: "a", limit: 5, now: Self.now + 9_999, leaseMillis: 1_000) }
            #expect(early.isEmpty)
            let due = try await store.write { try await $0.jobs.claim(owner: "a", limit: 5, now: Self.now + 10_000, leaseMillis: 1_000) }
            #expect(due.map(\.id) == ["later"])
            #expect(due.first?.state == .running && due.first?.attempts == 1 && due.first?.leaseOwner == "a")
            #expect(due.first?.leaseExpiresAt == Self.now + 11_000)
        }
    }

    /// `rapport import` runs a worker for `import.run` jobs only: it must not take (and fail) jobs it cannot run.
    @Test func aClaimForSomeKindsTakesOnlyJobsOfThoseKinds() async throws {
        try await Self.withStore { store in
            _ = try await store.write { try await $0.jobs.enqueue(Self.job("email", kind: "email.send", priority: 5)) }
            _ = try await store.write { try await $0.jobs.enqueue(Self.job("import", kind: "import.run")) }
            #expect(try await store.read { try await $0.jobs.hasDue(now: Self.now, kinds: ["noop"]) } == false)
            #expect(try await store.read { try await $0.jobs.hasDue(now: Self.now, kinds: ["import.run"]) })
            let claimed = try await store.write {
                try await $0.jobs.claim(owner: "cli", limit: 5, now: Self.now, leaseMillis: 1_000, kinds: ["import.run"])
            }
            #expect(claimed.map(\.id) == ["import"])
            // Its lease expires: it is due again for a claim of its kind, and the other kind is still queued.
            #expect(try await store.read { try await $0.jobs.hasDue(now: Self.now + 2_000, kinds: ["import.run"]) })
            let again = try await store.write {
                try await $0.jobs.claim(owner: "cli-2", limit: 5, now: Self.now + 2_000, leaseMillis: 1_000, kinds: ["import.run"])
            }
            #expect(again.map(\.id) == ["import"])
            #expect(try await store.read { try await $0.jobs.find(id: "email", workspaceId: nil) }?.state == .queued)
        }
    }

    @Test func higherPriorityIsClaimedFirstThenEarlierRunAt() async throws {
        try await Self.withStore { store in
            for (id, priority, runAt) in [("low", 0, Self.now - 50), ("high", 5, Self.now), ("mid-late", 1, Self.now),
                                          ("mid-early", 1, Self.now - 10)] {
                _ = try await store.write { try await $0.jobs.enqueue(Self.job(id, runAt: runAt, priority: priority)) }
            }
            let all = try await store.write { try await $0.jobs.claim(owner: "a", limit: 10, now: Self.now, leaseMillis: 1_000) }
            #expect(all.map(\.id) == ["high", "mid-early", "mid-late", "low"])
        }
        try await Self.withStore { store in
            for (id, priority) in [("low", 0), ("high", 5), ("mid", 1)] {
                _ = try await store.write { try await $0.jobs.enqueue(Self.job(id, priority: priority)) }
            }
            var order: [String] = []
            for _ in 0..<3 {
                order += try await store.write { try await $0.jobs.claim(owner: "a", limit: 1, now: Self.now, leaseMillis: 1_000) }.map(\.id)
            }
            #expect(order == ["high", "mid", "low"])
        }
    }

    @Test func anExpiredLeaseIsReclaimedAndTheOldOwnerCanNoLongerSettleTheJob() async throws {
        try await Self.withStore { store in
            _ = try await store.write { try await $0.jobs.enqueue(Self.job("j")) }
            let claimedByA = try await store.write { try await $0.jobs.claim(owner: "a", limit: 1, now: Self.now, leaseMillis: 1_000) }
            #expect(claimedByA.map(\.id) == ["j"])
            let whileHeld = try await store.write { try await $0.jobs.claim(owner: "b", limit: 1, now: Self.now + 1_000, leaseMillis: 1_000) }
            #expect(whileHeld.isEmpty, "a lease is held up to and including its expiry time")
            let claimedByB = try await store.write { try await $0.jobs.claim(owner: "b", limit: 1, now: Self.now + 1_001, leaseMillis: 1_000) }
            #expect(claimedByB.first?.leaseOwner == "b" && claimedByB.first?.attempts == 2)
            #expect(try await store.write { try await $0.jobs.complete(id: "j", owner: "a", now: Self.now + 1_100) } == false)
            #expect(try await store.write {
                try await $0.jobs.fail(id: "j", owner: "a", error: "late", outcome: .dead, now: Self.now + 1_100)
            } == false)
            #expect(try await store.write { try await $0.jobs.renew(id: "j", owner: "a", until: Self.now + 9_000, now: Self.now) } == false)
            #expect(try await store.write { try await $0.jobs.release(id: "j", owner: "a", now: Self.now + 1_100) } == false)
            #expect(try await store.write { try await $0.jobs.complete(id: "j", owner: "b", now: Self.now + 1_200) })
            let done = try #require(try await store.read { try await $0.jobs.find(id: "j", workspaceId: nil) })
            #expect(done.state == .succeeded && done.finishedAt == Self.now + 1_200 && done.leaseOwner == nil)
        }
    }

    @Test func failureOutcomesCancelRetryAndTheWorkspaceScopedList() async throws {
        try await Self.withStore { store in
            try await store.write { repos in
                try await repos.workspaces.insert(Workspace(id: "ws-1", name: "One", createdAt: Self.now))
                _ = try await repos.jobs.enqueue(Self.job("a", workspaceId: "ws-1"))
                _ = try await repos.jobs.enqueue(Self.job("b", key: "k", workspaceId: "ws-1"))
                _ = try await repos.jobs.enqueue(Self.job("c", key: "k", workspaceId: nil))
            }
            let claimed = try await store.write { try await $0.jobs.claim(owner: "w", limit: 3, now: Self.now, leaseMillis: 1_000) }
            #expect(Set(claimed.map(\.id)) == ["a", "b", "c"], "the same key in another workspace is another job")
            #expect(try await store.write {
                try await $0.jobs.fail(id: "a", owner: "w", error: "boom", outcome: .retry(at: Self.now + 500), now: Self.now)
            })
            #expect(try await store.write { try await $0.jobs.fail(id: "b", owner: "w", error: "bad", outcome: .failed, now: Self.now) })
            let retried = try #require(try await store.read { try await $0.jobs.find(id: "a", workspaceId: "ws-1") })
            #expect(retried.state == .queued && retried.runAt == Self.now + 500 && retried.lastError == "boom" && retried.leaseOwner == nil)
            #expect(try await store.read { try await $0.jobs.find(id: "c", workspaceId: "ws-1") } == nil, "another workspace's job")

            let failed = try await store.read { try await $0.jobs.list(JobQuery(workspaceId: "ws-1", state: .failed), page: PageRequest()) }
            #expect(failed.items.map(\.id) == ["b"])
            let again = try #require(try await store.write { try await $0.jobs.retry(id: "b", workspaceId: "ws-1", now: Self.now + 10) })
            #expect(again.state == .queued && again.attempts == 0 && again.runAt == Self.now + 10)
            #expect(try await store.write { try await $0.jobs.retry(id: "b", workspaceId: "ws-1", now: Self.now) } == nil,
                    "only a dead, failed or cancelled job is retried")
            #expect(try await store.write { try await $0.jobs.cancel(id: "c", workspaceId: "ws-1", now: Self.now) } == nil)
            let cancelled = try #require(try await store.write { try await $0.jobs.cancel(id: "c", workspaceId: nil, now: Self.now) })
            #expect(cancelled.state == .cancelled)
            #expect(try await store.write { try await $0.jobs.complete(id: "c", owner: "w", now: Self.now) } == false,
                    "a cancelled job cannot be completed by the worker that was running it")
            let all = try await store.read { try await $0.jobs.list(JobQuery(workspaceId: "ws-1"), page: PageRequest(limit: 1)) }
            #expect(all.items.count == 1 && all.nextCursor != nil)
        }
    }
}
