import Foundation
import Logging
import RapportCore
import RapportRuntime
import RapportStore
import Testing

/// The job queue's read-only probes and the worker that uses them: an idle worker writes nothing, and the sampled
/// backlog for the metrics.
@Suite("Job queue probes")
struct JobQueueProbeTests {
    @Test func anIdleWorkerDoesNotWriteAndStillRunsAJobWhenOneArrives() async throws {
        try await TestApp.withDatabase { database in
            let base = SQLDataStore(database: database)
            let store = CountingStore(base)
            let worker = JobWorker(store: store, handlers: [NoopJobHandler()], settings: JobWorkerTests.settings(),
                                   logger: JobWorkerTests.logger)
            try await JobWorkerTests.running([worker]) {
                try await JobWorkerTests.eventually("the idle worker polled ten times") { store.reads >= 10 }
                #expect(store.writes == 0, "an idle worker claimed (wrote) \(store.writes) times")
                let job = Job(id: "n1", kind: NoopJobHandler.kind, now: Date().millisSince1970)
                _ = try await base.write { try await $0.jobs.enqueue(job) }
                try await JobWorkerTests.eventually("the job ran") {
                    try await base.read { try await $0.jobs.find(id: "n1", workspaceId: nil) }?.state == .succeeded
                }
            }
        }
    }

    /// Draining a queue costs one commit per job: the first claim fills every free slot in one statement, then each
    /// slot records a job's outcome and claims its next job in the same transaction (two commits a job before).
    @Test func aBusyWorkerCommitsOncePerJob() async throws {
        try await TestApp.withDatabase { database in
            let base = SQLDataStore(database: database)
            let store = CountingStore(base)
            let now = Date().millisSince1970
            let count = 40
            try await base.write { repos in
                for n in 0..<count {
                    _ = try await repos.jobs.enqueue(Job(id: String(format: "busy-%02d", n), kind: NoopJobHandler.kind, now: now))
                }
            }
            let worker = JobWorker(store: store, handlers: [NoopJobHandler()], settings: JobWorkerTests.settings(concurrency: 4),
                                   logger: JobWorkerTests.logger)
            try await JobWorkerTests.running([worker]) {
                try await JobWorkerTests.eventually("every job succeeded") {
                    try await base.read { try await $0.jobs.counts(workspaceId: nil) }
                        == [JobCount(kind: NoopJobHandler.kind, state: .succeeded, count: count)]
                }
            }
            // One claim of four, forty outcomes each with the next claim, and at most a few claims that found nothing.
            #expect(store.writes >= count && store.writes <= count + 4, "\(store.writes) writes for \(count) jobs")
            let jobs = try await base.read { try await $0.jobs.list(JobQuery(), page: PageRequest(limit: 100)) }.items
            #expect(jobs.count == count && jobs.allSatisfy { $0.attempts == 1 })
        }
    }

    @Test func hasDueAndTheBacklogSeeWhatAClaimWouldTake() async throws {
        try await TestApp.withDatabase { database in
            let store = SQLDataStore(database: database)
            let now: Int64 = 1_800_000_000_000
            let dueAtFirst = try await store.read { try await $0.jobs.hasDue(now: now) }
            #expect(dueAtFirst == false)
            try await store.write { repos in
                _ = try await repos.jobs.enqueue(Job(id: "a", kind: "mail", now: now, runAt: now - 5_000))
                _ = try await repos.jobs.enqueue(Job(id: "b", kind: "mail", now: now, runAt: now - 1_000))
                _ = try await repos.jobs.enqueue(Job(id: "c", kind: "report", now: now, runAt: now + 60_000))
            }
            let dueOnceEnqueued = try await store.read { try await $0.jobs.hasDue(now: now) }
            #expect(dueOnceEnqueued)
            let claimed = try await store.write { try await $0.jobs.claim(owner: "w", limit: 1, now: now, leaseMillis: 30_000) }
            #expect(claimed.map(\.id) == ["a"])
            let backlog = try await store.read { try await $0.jobs.backlog(now: now) }
            #expect(backlog == JobBacklog(queued: ["mail": 1, "report": 1], running: ["mail": 1], oldestDueRunAt: now - 1_000))
            _ = try await store.write { try await $0.jobs.claim(owner: "w", limit: 1, now: now, leaseMillis: 30_000) }
            let dueWhileHeld = try await store.read { try await $0.jobs.hasDue(now: now) }
            #expect(dueWhileHeld == false, "c is not due, a and b are held")
            let dueAfterLease = try await store.read { try await $0.jobs.hasDue(now: now + 30_001) }
            #expect(dueAfterLease, "an expired lease is due")
            let sampler = JobMetricsSampler(store: store, clock: WallClock { Date(millisSince1970: now) },
                                            logger: JobWorkerTests.logger)
            let sampled = await sampler.sample()
            #expect(sampled?.running == ["mail": 2])
            #expect(sampled?.oldestDueRunAt == nil)
        }
    }
}
