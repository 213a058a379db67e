import Foundation
import Logging
import Metrics
import RapportCore
import ServiceLifecycle
import Synchronization

/// How a `JobWorker` claims and runs jobs (`JOB_CONCURRENCY`, `JOB_LEASE_SECONDS`, `JOB_POLL_MILLIS`).
public struct JobWorkerSettings: Sendable {
    /// Jobs run at once by one worker.
    public var concurrency = 2
    /// How long a claim holds a job; renewed every third of it while the job runs.
    public var leaseMillis: Int64 = 60_000
    /// How long an idle slot waits before it looks for due jobs again.
    public var pollInterval: Duration = .seconds(1)
    /// How long running jobs may go on after graceful shutdown begins before they are released to other workers.
    public var shutdownGrace: Duration = .seconds(10)
    public var retry = JobRetryPolicy()
    /// Only jobs of these kinds are claimed; nil for every kind (`rapport import` runs a worker for `import.run` only).
    public var kinds: [String]?

    public init() {}
}

/// Runs due jobs from the `jobs` table with the handler registered for their kind, at most `concurrency` at once, each
/// under a lease that is renewed while the job runs; the outcome is recorded only while the worker still holds it.
///
/// Claims cost as few round trips and commits as the queue allows (docs/benchmarks.md, "Job queue"): an idle worker
/// reads whether anything is due once per poll and claims only then, up to its free slots in one statement; a slot
/// that finishes a job records the outcome and claims its next job in the same transaction, so a busy worker commits
/// once per job. On graceful shutdown it stops claiming, lets running jobs finish within `shutdownGrace`, then puts the
/// others back in the queue (and cancels their handlers) so another process takes them. Delivery is at least once.
public final class JobWorker: Service, Sendable {
    /// Names this worker in `lease_owner`; unique per instance.
    public let owner: String
    let store: any DataStore
    let handlers: [String: any JobHandler]
    let settings: JobWorkerSettings
    let clock: WallClock
    let logger: Logger
    /// When graceful shutdown began (nil while running normally).
    private let stopRequested = Mutex<ContinuousClock.Instant?>(nil)
    /// Slots running a job (or a chain of jobs, each claimed when the one before it was recorded).
    private let busySlots = Mutex(0)

    public init(store: any DataStore, handlers: [any JobHandler], settings: JobWorkerSettings = JobWorkerSettings(),
                clock: WallClock = .system, logger: Logger, owner: String? = nil) {
        self.store = store
        self.handlers = Dictionary(handlers.map { ($0.kind, $0) }, uniquingKeysWith: { _, last in last })
        self.settings = settings
        self.clock = clock
        self.logger = logger
        let host = ProcessInfo.processInfo.environment["HOSTNAME"] ?? "rapport"
        self.owner = owner ?? "\(host)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { slots in
                await self.fillFreeSlots(&slots)
            }
        } onGracefulShutdown: {
            self.stopRequested.withLock { if $0 == nil { $0 = .now } }
        }
    }

    private var isStopping: Bool { stopRequested.withLock { $0 != nil } || Task.isCancelled }

    /// Until shutdown, every `pollInterval`: when a slot is free, reads whether anything is due (`hasDue`) and only
    /// then claims, up to the free slots in one statement, so an idle process writes nothing. Busy slots need no poll:
    /// each claims its next job when it records the last one.
    private func fillFreeSlots(_ slots: inout DiscardingTaskGroup) async {
        let concurrency = max(1, settings.concurrency)
        var probe = true
        while !isStopping {
            let free = concurrency - busySlots.withLock { $0 }
            if free > 0 {
                var claimed: [Job] = []
                do {
                    let (owner, now, lease, kinds) = (self.owner, clock.nowMillis, settings.leaseMillis, settings.kinds)
                    // A read first: an idle worker must not take a turn on SQLite's single writer every poll. Right
                    // after a claim that took all it asked for, more is likely due and the read is skipped.
                    let due = probe ? try await store.read({ try await $0.jobs.hasDue(now: now, kinds: kinds) }) : true
                    if due {
                        claimed = try await store.write {
                            try await $0.jobs.claim(owner: owner, limit: free, now: now, leaseMillis: lease, kinds: kinds)
                        }
                    }
                } catch {
                    logger.error("claiming jobs failed: \(error)", metadata: ["component": "jobs"])
                }
                busySlots.withLock { $0 += claimed.count }
                for job in claimed {
                    slots.addTask { await self.runChain(from: job) }
                }
                // Every free slot filled: more may be due, and a slot may have freed meanwhile; look again at once.
                probe = claimed.count < free
                if !probe { continue }
            }
            probe = true
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.settings.pollInterval) }
        }
    }

    /// Runs `job`, then each job claimed with the previous one's outcome, until such a claim finds nothing due or
    /// shutdown begins; then frees the slot.
    private func runChain(from job: Job) async {
        var next: Job? = job
        while let job = next {
            next = await execute(job)
        }
        busySlots.withLock { $0 -= 1 }
    }

    private enum Ending: Sendable {
        case finished((any Error)?)
        case leaseLost
        case released
    }

    /// Runs one job and records its outcome; returns the job claimed in the same transaction as that outcome, if any.
    private func execute(_ job: Job) async -> Job? {
        let started = ContinuousClock.now
        // A job claimed again and again after expired leases (it kills or hangs its workers) is not run forever.
        if job.attempts > job.maxAttempts {
            let reason = "its lease expired on every one of \(job.maxAttempts) attempts"
            do { try await handlers[job.kind]?.gaveUp(job, reason: reason) } catch {
                logger.error("ending what a dead job stood for failed", metadata: ["job_id": "\(job.id)", "kind": "\(job.kind)", "error": "\(error)"])
            }
            return await fail(job, error: reason, outcome: .dead)
        }
        guard let handler = handlers[job.kind] else {
            // Retried, not failed: during a rolling deploy a newer process may know the kind.
            let error = "no handler for job kind \(job.kind)"
            return await fail(job, error: error, outcome: settings.retry.outcome(for: job, error: NoHandler(), now: clock.nowMillis))
        }
        let ending = await withTaskGroup(of: Ending.self) { group in
            group.addTask {
                do { try await handler.run(job); return .finished(nil) } catch { return .finished(error) }
            }
            group.addTask { await self.holdLease(job) }
            let first = await group.next() ?? .released
            // Released before the handler is cancelled and awaited, so a handler slow to stop delays no one.
            if case .released = first { await self.release(job) }
            group.cancelAll()
            return first
        }
        switch ending {
        case .finished(.none):
            await record(job, "succeeded", since: started)
            let (owner, now) = (self.owner, clock.nowMillis)
            return await settle(job, claimingNext: true) { try await $0.jobs.complete(id: job.id, owner: owner, now: now) }
        case .finished(.some(let error)):
            if error is CancellationError, isStopping {
                await release(job)
                return nil
            }
            if let deferral = error as? JobDeferral {
                await record(job, "deferred", since: started)
                let (owner, now) = (self.owner, clock.nowMillis)
                return await settle(job, claimingNext: true) {
                    try await $0.jobs.postpone(id: job.id, owner: owner, until: deferral.until, now: now)
                }
            }
            let outcome = settings.retry.outcome(for: job, error: error, now: clock.nowMillis, schedule: handler.retrySchedule)
            await record(job, Self.name(outcome), since: started)
            return await fail(job, error: String(describing: error), outcome: outcome)
        case .leaseLost:
            logger.warning("lost the lease of job \(job.id) (\(job.kind)); another worker has it",
                           metadata: ["component": "jobs"])
            return nil
        case .released:
            logger.notice("released job \(job.id) (\(job.kind)) at shutdown", metadata: ["component": "jobs"])
            return nil
        }
    }

    /// Renews the lease every third of its length while the job runs; ends when the lease is lost, or when
    /// shutdown began more than `shutdownGrace` ago (or the task is cancelled).
    private func holdLease(_ job: Job) async -> Ending {
        let renewEvery = Duration.milliseconds(max(1, settings.leaseMillis / 3))
        let tick = min(Duration.milliseconds(50), renewEvery)
        var renewAt = ContinuousClock.now + renewEvery
        while true {
            do { try await Task.sleep(for: tick) } catch { return .released }
            if let since = stopRequested.withLock({ $0 }), ContinuousClock.now - since >= settings.shutdownGrace {
                return .released
            }
            guard ContinuousClock.now >= renewAt else { continue }
            renewAt = ContinuousClock.now + renewEvery
            let (owner, now, lease) = (self.owner, clock.nowMillis, settings.leaseMillis)
            do {
                // In its own task: cancelling this one when the handler finishes must not interrupt a write midway
                // (a write cancelled between BEGIN and COMMIT could leave the SQLite writer inside its transaction).
                let store = self.store
                let held = try await Task {
                    try await store.write { try await $0.jobs.renew(id: job.id, owner: owner, until: now + lease, now: now) }
                }.value
                if !held { return .leaseLost }
            } catch {
                // The lease may still be valid; try again at the next renewal.
                logger.error("renewing the lease of job \(job.id) failed: \(error)", metadata: ["component": "jobs"])
            }
        }
    }

    private func release(_ job: Job) async {
        let (owner, now) = (self.owner, clock.nowMillis)
        await settle(job, claimingNext: false) { try await $0.jobs.release(id: job.id, owner: owner, now: now) }
    }

    private func fail(_ job: Job, error: String, outcome: JobFailureOutcome) async -> Job? {
        let (owner, now) = (self.owner, clock.nowMillis)
        if case .retry = outcome {} else {
            logger.warning("job \(job.id) (\(job.kind)) \(Self.name(outcome)): \(error)", metadata: ["component": "jobs"])
        }
        return await settle(job, claimingNext: true) {
            try await $0.jobs.fail(id: job.id, owner: owner, error: error, outcome: outcome, now: now)
        }
    }

    /// Runs one lease-checked state change; a refusal means another worker re-claimed the job after our lease expired.
    /// With `claimingNext` (and unless shutdown has begun) the same transaction claims the slot's next due job, which
    /// it returns: one commit where a claim of its own would take another. The claim needs no `hasDue` read first:
    /// a slot gets here only from a busy queue, and the change is a write anyway.
    @discardableResult
    private func settle(_ job: Job, claimingNext: Bool,
                        _ change: @escaping @Sendable (any Repositories) async throws -> Bool) async -> Job? {
        let store = self.store
        let claim = claimingNext && !isStopping
        let (owner, lease, kinds) = (self.owner, settings.leaseMillis, settings.kinds)
        let now = clock.nowMillis
        do {
            // In its own task: cancelling the caller must not interrupt a write midway.
            let (held, next) = try await Task {
                try await store.write { repos -> (Bool, Job?) in
                    let held = try await change(repos)
                    guard claim else { return (held, nil) }
                    return (held, try await repos.jobs.claim(owner: owner, limit: 1, now: now, leaseMillis: lease, kinds: kinds)
                        .first)
                }
            }.value
            if !held {
                logger.warning("job \(job.id) (\(job.kind)): lease no longer held; outcome not recorded",
                               metadata: ["component": "jobs"])
            }
            return next
        } catch {
            // The outcome matters more than the next claim: once more on its own (the poll claims later).
            if claim { return await settle(job, claimingNext: false, change) }
            logger.error("recording the outcome of job \(job.id) failed: \(error)", metadata: ["component": "jobs"])
            return nil
        }
    }

    private func record(_ job: Job, _ outcome: String, since started: ContinuousClock.Instant) async {
        Counter(label: "rapport_jobs_outcomes_total", dimensions: [("kind", job.kind), ("outcome", outcome)]).increment()
        let elapsed = (ContinuousClock.now - started).components
        Metrics.Timer(label: "rapport_jobs_run_duration", dimensions: [("kind", job.kind)], preferredDisplayUnit: .seconds)
            .recordNanoseconds(elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000)
    }

    static func name(_ outcome: JobFailureOutcome) -> String {
        switch outcome {
        case .retry: "retried"
        case .dead: "dead"
        case .failed: "failed"
        }
    }

    private struct NoHandler: Error {}
}
