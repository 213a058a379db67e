import Logging
import RapportCore
import ServiceLifecycle
import UnixSignals

extension Runtime {
    /// The long-running work that needs no HTTP. `rapport serve` runs it beside the HTTP server, `rapport worker`
    /// runs it alone, and the in-process tests run it around each test. A new job worker or scheduler is registered
    /// here, once, and so runs in all three.
    public func backgroundServices() -> [any Service] {
        [
            scheduler(),
            jobWorker(),
            JobMetricsSampler(store: services.core.store, clock: services.core.clock, logger: logger),
        ]
    }

    /// The handler of every job kind the program knows. Each is idempotent (delivery is at least once); the kind's
    /// handler documents why.
    public var jobHandlers: [any JobHandler] {
        [
            NoopJobHandler(),
            SegmentRefreshFanOutHandler(services.core),
            SegmentRefreshHandler(segments: services.segments),
            WebhookDeliveryHandler(deps: services.core, urlGuard: services.urlGuard, health: webhookHealth,
                                   timeoutSeconds: config.webhookTimeoutSeconds, logger: logger),
            EmailSendHandler(deps: services.core, transports: services.smtpSettings, settings: config.emailSettings, logger: logger),
            AutomationEvaluateHandler(services.core),
            AutomationActHandler(services.core, outbox: services.emails.outbox),
            HousekeepingHandler(Housekeeping(store: services.core.store, clock: services.core.clock, retention: config.retention)),
        ]
    }

    /// What follows each webhook delivery attempt: the endpoint's health (disabled after failing for
    /// `WEBHOOK_DISABLE_AFTER_HOURS`, its owner emailed) and the timeline.
    public var webhookHealth: WebhookHealth {
        WebhookHealth(services.core, disableAfterMillis: Int64(config.webhookDisableAfterHours) * 3_600_000,
                      outbox: services.emails.outbox)
    }

    /// The scheduler, keeping the system schedules: the segment refresh at `SEGMENT_REFRESH_CRON`, the daily clean-up.
    public func scheduler() -> Scheduler {
        var settings = SchedulerSettings()
        settings.tickInterval = .milliseconds(config.schedulerTickMillis)
        settings.systemSchedules = [
            SystemSchedule(key: SegmentRefreshJobs.scheduleKey, kind: SegmentRefreshJobs.fanOutKind,
                           cron: config.segmentRefreshCron),
            SystemSchedule(key: Housekeeping.scheduleKey, kind: Housekeeping.jobKind, cron: Housekeeping.cron),
        ]
        return Scheduler(store: services.core.store, ids: services.core.ids, clock: services.core.clock,
                         settings: settings, logger: logger)
    }

    /// The job worker with the handlers of every job kind the program knows (`jobHandlers` unless given).
    public func jobWorker(handlers: [any JobHandler]? = nil) -> JobWorker {
        let handlers = handlers ?? jobHandlers
        var settings = JobWorkerSettings()
        settings.concurrency = config.jobConcurrency
        settings.leaseMillis = Int64(config.jobLeaseSeconds) * 1_000
        settings.pollInterval = .milliseconds(config.jobPollMillis)
        return JobWorker(store: services.core.store, handlers: handlers, settings: settings, clock: services.core.clock,
                         logger: logger)
    }

    /// One service group: the background services, then `front` (the HTTP server for `serve`, nothing for
    /// `worker`). On graceful shutdown the group stops services in reverse order, so the front door closes first and
    /// background work finishes after it.
    public func serviceGroup(front: [any Service] = [], gracefulShutdownSignals: [UnixSignal] = []) -> ServiceGroup {
        ServiceGroup(configuration: .init(services: backgroundServices() + front,
                                          gracefulShutdownSignals: gracefulShutdownSignals, logger: logger))
    }

    /// Runs the service group until SIGTERM or SIGINT, then shuts it down gracefully and returns.
    public func run(front: [any Service] = []) async throws {
        try await serviceGroup(front: front, gracefulShutdownSignals: [.sigterm, .sigint]).run()
    }

    /// Runs the background services while `body` runs, then shuts them down gracefully: the in-process tests'
    /// way of running the app as production does, without signals.
    public func withBackgroundServices<T>(_ body: () async throws -> T) async throws -> T {
        let group = serviceGroup()
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let result: T
            do {
                result = try await body()
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        }
    }
}
