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
            ImportRunHandler(services.imports),
            ImportSweepHandler(services.imports),
            SurveySendHandler(services.surveyInvitations),
            SurveyRemindHandler(services.surveyInvitations),
            DigestSendHandler(services.digests),
        ]
    }

    /// What follows each webhook delivery attempt: the endpoint's health (disabled after failing for
    /// `WEBHOOK_DISABLE_AFTER_HOURS`, its owner emailed) and the timeline.
    public var webhookHealth: WebhookHealth {
        WebhookHealth(services.core, disableAfterMillis: Int64(config.webhookDisableAfterHours) * 3_600_000,
                      outbox: services.emails.outbox)
    }

    /// The scheduler, keeping the system schedules: the segment refresh at `SEGMENT_REFRESH_CRON`, the hourly sweep of
    /// abandoned import uploads and the daily clean-up.
    public func scheduler() -> Scheduler {
        var settings = SchedulerSettings()
        settings.tickInterval = .milliseconds(config.schedulerTickMillis)
        settings.systemSchedules = [
            SystemSchedule(key: SegmentRefreshJobs.scheduleKey, kind: SegmentRefreshJobs.fanOutKind,
                           cron: config.segmentRefreshCron),
            SystemSchedule(key: Housekeeping.scheduleKey, kind: Housekeeping.jobKind, cron: Housekeeping.cron),
            SystemSchedule(key: ImportSweepHandler.scheduleKey, kind: ImportSweepHandler.kind, cron: ImportSweepHandler.cron),
        ]
        return Scheduler(store: services.core.store, ids: services.core.ids, clock: services.core.clock,
                         settings: settings, logger: logger)
    }

    /// The job worker with the handlers of every job kind the program knows (`jobHandlers` unless given). With
    /// `onlyTheirKinds` it claims only jobs its handlers run.
    public func jobWorker(handlers: [any JobHandler]? = nil, onlyTheirKinds: Bool = false) -> JobWorker {
        let handlers = handlers ?? jobHandlers
        var settings = JobWorkerSettings()
        if onlyTheirKinds { settings.kinds = handlers.map(\.kind) }
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

extension Runtime {
    /// Waits until the import `id` has finished and returns it, running a job worker for `import.run` jobs meanwhile,
    /// so the import finishes whether or not a `rapport serve` or `rapport worker` runs on the database (whichever
    /// claims the job runs it). `rapport import` calls it after the upload.
    public func waitForImport(workspaceId: String, id: String, poll: Duration = .milliseconds(200)) async throws -> ImportJob {
        let store = services.core.store
        let group = ServiceGroup(configuration: .init(
            services: [jobWorker(handlers: [ImportRunHandler(services.imports)], onlyTheirKinds: true)], logger: logger))
        return try await withThrowingTaskGroup(of: ImportJob?.self) { tasks in
            tasks.addTask {
                try await group.run()
                return nil
            }
            tasks.addTask {
                while true {
                    if let job = try await store.read({ try await $0.imports.find(workspaceId: workspaceId, id: id) }),
                       job.status.isFinished {
                        return job
                    }
                    try await Task.sleep(for: poll)
                }
            }
            defer { tasks.cancelAll() }
            while let next = try await tasks.next() {
                guard let job = next else { continue }
                await group.triggerGracefulShutdown()
                return job
            }
            throw CancellationError()
        }
    }
}
