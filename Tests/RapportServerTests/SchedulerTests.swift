import Foundation
import Logging
import RapportCore
import RapportRuntime
import RapportStore
import ServiceLifecycle
import Testing

/// Schedules on a real database (SQLite, and PostgreSQL when `RAPPORT_TEST_DATABASE_URL` is set): one job per firing
/// across schedulers, missed firings run once, broken schedules disabled, no writes when idle, and the workspace's
/// time zone.
@Suite("Scheduler")
struct SchedulerTests {
    static let start = "2026-12-01T10:00:00Z"
    static let minute: Int64 = 60_000

    static var logger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }

    static let ids = IDGenerator { UUID().uuidString.lowercased() }

    static func scheduler(_ store: any DataStore, _ clock: ManualClock, systems: [SystemSchedule] = []) -> Scheduler {
        var settings = SchedulerSettings()
        settings.tickInterval = .milliseconds(20)
        settings.systemSchedules = systems
        return Scheduler(store: store, ids: ids, clock: clock.wall, settings: settings, logger: logger)
    }

    static func schedule(_ key: String, cron: String = "* * * * *", workspaceId: String? = nil, timeZone: String? = nil,
                         next: Int64, kind: String = "test") -> Schedule {
        Schedule(id: ids.next(), workspaceId: workspaceId, key: key, kind: kind, cron: cron, timeZone: timeZone,
                 payload: #"{"from":"\#(key)"}"#, nextRunAt: next, now: next - minute)
    }

    static func jobs(_ store: any DataStore, kind: String = "test") async throws -> [Job] {
        try await store.read { try await $0.jobs.list(JobQuery(kind: kind), page: PageRequest(limit: 200)) }.items
    }

    static func stored(_ store: any DataStore, _ key: String, workspaceId: String? = nil) async throws -> Schedule {
        let found = try await store.read { try await $0.schedules.find(workspaceId: workspaceId, key: key) }
        return try #require(found)
    }

    /// Two clients on one database, as two processes have. On SQLite both stores share one client: two clients in one
    /// process share its blocking-I/O threads, and a connection waiting for SQLite's write lock (busy timeout, 10 s)
    /// can hold the thread the lock holder needs to commit, which two processes cannot do to each other. Both
    /// schedulers still read the same due time before either writes.
    static func withTwoStores(_ body: (SQLDataStore, SQLDataStore) async throws -> Void) async throws {
        try await TestApp.withDatabase { database in
            guard database.kind == .postgres else {
                try await body(SQLDataStore(database: database), SQLDataStore(database: database))
                return
            }
            let other = try await DatabaseClient.connect(database.url, logger: logger)
            do {
                try await body(SQLDataStore(database: database), SQLDataStore(database: other))
                await other.shutdown()
            } catch {
                await other.shutdown()
                throw error
            }
        }
    }

    @Test func twoSchedulersOnOneDatabaseEnqueueEachFiringOnce() async throws {
        try await Self.withTwoStores { first, second in
            let clock = ManualClock(Self.start)
            let t0 = clock.nowMillis
            let schedule = Self.schedule("every-minute", next: t0 + Self.minute)
            _ = try await first.write { try await $0.schedules.insertIfAbsent(schedule) }
            let a = Self.scheduler(first, clock), b = Self.scheduler(second, clock)
            for n in 1...6 {
                clock.set(t0 + Int64(n) * Self.minute + 500)
                // Each process ticks twice at the same moment, concurrently.
                async let a1 = a.tick(), b1 = b.tick(), a2 = a.tick(), b2 = b.tick()
                let fired = await [a1, b1, a2, b2]
                #expect(fired.reduce(0, +) == 1, "firing \(n): \(fired)")
            }
            let jobs = try await Self.jobs(first)
            #expect(jobs.count == 6)
            let expectedKeys = (1...6).map { Schedule.jobKey(scheduleId: schedule.id, due: t0 + Int64($0) * Self.minute) }
            #expect(Set(jobs.compactMap(\.idempotencyKey)) == Set(expectedKeys))
            #expect(jobs.allSatisfy { $0.payload == #"{"from":"every-minute"}"# && $0.workspaceId == nil })
            let after = try await Self.stored(first, "every-minute")
            #expect(after.nextRunAt == t0 + 7 * Self.minute)
            #expect(after.lastRunAt == t0 + 6 * Self.minute)
        }
    }

    @Test func missedFiringsAfterDowntimeRunOnceThenSkipToTheNextFutureTime() async throws {
        try await TestApp.withDatabase { database in
            let store = SQLDataStore(database: database)
            let clock = ManualClock(Self.start)
            let t0 = clock.nowMillis
            _ = try await store.write { try await $0.schedules.insertIfAbsent(Self.schedule("m", next: t0 + Self.minute)) }
            // Down for half an hour: 30 firings were missed.
            clock.set(t0 + 30 * Self.minute + 20_000)
            let scheduler = Self.scheduler(store, clock)
            #expect(await scheduler.tick() == 1)
            #expect(await scheduler.tick() == 0)
            let stored = try await Self.stored(store, "m")
            #expect(stored.nextRunAt == t0 + 31 * Self.minute)
            #expect(stored.lastRunAt == t0 + Self.minute)
            let jobs = try await Self.jobs(store)
            #expect(jobs.map(\.idempotencyKey) == [Schedule.jobKey(scheduleId: stored.id, due: t0 + Self.minute)])
        }
    }

    @Test func aScheduleThatCannotBeEvaluatedIsDisabledAndTheOthersStillRun() async throws {
        try await TestApp.withDatabase { database in
            let store = SQLDataStore(database: database)
            let clock = ManualClock(Self.start)
            let t0 = clock.nowMillis
            try await store.write { repos in
                _ = try await repos.schedules.insertIfAbsent(Self.schedule("bad-cron", cron: "61 * * * *", next: t0))
                _ = try await repos.schedules.insertIfAbsent(Self.schedule("bad-zone", timeZone: "Mars/Olympus", next: t0))
                _ = try await repos.schedules.insertIfAbsent(Self.schedule("good", next: t0))
            }
            let scheduler = Self.scheduler(store, clock)
            #expect(await scheduler.tick() == 1)
            let badCron = try await Self.stored(store, "bad-cron"), badZone = try await Self.stored(store, "bad-zone")
            #expect(!badCron.enabled && badCron.lastError?.contains("minute") == true, "\(badCron)")
            #expect(!badZone.enabled && badZone.lastError?.contains("Mars/Olympus") == true, "\(badZone)")
            clock.advance(.seconds(60))
            #expect(await scheduler.tick() == 1)
            let jobs = try await Self.jobs(store)
            #expect(jobs.count == 2)
            let due = try await store.read { try await $0.schedules.due(now: t0 + 3_600_000, limit: 10) }
            #expect(due.map(\.schedule.key) == ["good"])
        }
    }

    @Test func anIdleSchedulerOnlyReads() async throws {
        try await TestApp.withDatabase { database in
            let store = CountingStore(SQLDataStore(database: database))
            let clock = ManualClock(Self.start)
            let t0 = clock.nowMillis
            _ = try await store.base.write { try await $0.schedules.insertIfAbsent(Self.schedule("later", next: t0 + 3_600_000)) }
            let systems = [SystemSchedule(key: "sys", kind: "test", cron: "0 * * * *")]
            let scheduler = Self.scheduler(store, clock, systems: systems)
            try await scheduler.ensureSystemSchedules()
            #expect(store.writes == 1, "the missing system schedule is created")
            try await scheduler.ensureSystemSchedules()
            for _ in 0..<5 { #expect(await scheduler.tick() == 0) }
            #expect(store.writes == 1, "a start-up with nothing to change and idle ticks write nothing")
            #expect(store.reads >= 7)
        }
    }

    @Test func systemSchedulesAreCreatedOnceAndFollowTheirSetting() async throws {
        try await Self.withTwoStores { first, second in
            let clock = ManualClock(Self.start)
            let hourly = [SystemSchedule(key: "sys", kind: "test", cron: "0 * * * *")]
            async let a: Void = Self.scheduler(first, clock, systems: hourly).ensureSystemSchedules()
            async let b: Void = Self.scheduler(second, clock, systems: hourly).ensureSystemSchedules()
            _ = try await (a, b)
            let systems = try await first.read { try await $0.schedules.list(workspaceId: nil) }
            #expect(systems.count == 1)
            #expect(systems.first?.nextRunAt == clock.nowMillis + 60 * Self.minute)
            let daily = [SystemSchedule(key: "sys", kind: "test", cron: "@daily")]
            try await Self.scheduler(second, clock, systems: daily).ensureSystemSchedules()
            let changed = try await Self.stored(first, "sys")
            #expect(changed.cron == "@daily" && changed.id == systems.first?.id)
            #expect(changed.nextRunAt == clock.nowMillis + 14 * 60 * Self.minute)
        }
    }

    @Test func schedulesAreKeyedPerWorkspace() async throws {
        try await TestApp.withRuntime { runtime in
            let services = runtime.services
            let store = services.core.store
            let acme = try await Fixture.make(services), globex = try await Fixture.make(services, name: "Globex")
            let now = services.core.clock.nowMillis
            let first = Self.schedule("report", workspaceId: acme.workspace.id, next: now)
            let stored = try await store.write { repos in
                [try await repos.schedules.insertIfAbsent(first),
                 try await repos.schedules.insertIfAbsent(Self.schedule("report", workspaceId: acme.workspace.id, next: now)),
                 try await repos.schedules.insertIfAbsent(Self.schedule("report", workspaceId: globex.workspace.id, next: now)),
                 try await repos.schedules.insertIfAbsent(Self.schedule("report", next: now))]
            }
            #expect(stored[0] == first && stored[1] == first, "a second insert under the same key returns the first")
            #expect(Set(stored.map(\.id)).count == 3)
            let acmeOnly = try await store.read { try await $0.schedules.list(workspaceId: acme.workspace.id) }
            #expect(acmeOnly.map(\.id) == [first.id])
            let advanced = try await store.write { repos in
                [try await repos.schedules.advance(id: first.id, from: now, to: now + 1, now: now),
                 try await repos.schedules.advance(id: first.id, from: now, to: now + 2, now: now)]
            }
            #expect(advanced == [true, false], "the compare-and-set takes a firing once")
        }
    }

    @Test func aWorkspaceScheduleRunsInTheWorkspaceTimeZone() async throws {
        let clock = ManualClock(Self.start)
        try await TestApp.withRuntime(clock: clock.wall) { runtime in
            let services = runtime.services
            let store = services.core.store
            let fixture = try await Fixture.make(services)
            let admin = try await services.access.authenticate(apiKey: fixture.adminKey)
            #expect(fixture.workspace.timeZone == "UTC")
            let t0 = clock.nowMillis
            let nine = try Schedule.nextRun(cron: "0 9 * * *", zone: "UTC", after: t0)
            let schedule = Self.schedule("morning", cron: "0 9 * * *", workspaceId: fixture.workspace.id, next: nine)
            _ = try await store.write { try await $0.schedules.insertIfAbsent(schedule) }

            let changed = try await services.workspaces.changeTimeZone(admin, id: fixture.workspace.id, to: "Europe/Berlin")
            #expect(changed.timeZone == "Europe/Berlin")
            // The principal holds the workspace it was authenticated with; a new one reads the change.
            let fresh = try await services.access.authenticate(apiKey: fixture.adminKey)
            let reread = try await services.workspaces.get(fresh, id: fixture.workspace.id)
            #expect(reread.timeZone == "Europe/Berlin")
            // 09:00 in Berlin in December is 08:00 UTC, on 2 December (10:00 UTC on the 1st has passed it).
            let moved = try await Self.stored(store, "morning", workspaceId: fixture.workspace.id)
            #expect(Timestamp.iso8601(moved.nextRunAt) == "2026-12-02T08:00:00.000Z")
            let due = try await store.read { try await $0.schedules.due(now: moved.nextRunAt, limit: 10) }
            #expect(due.map(\.timeZone) == ["Europe/Berlin"])
            clock.set(moved.nextRunAt + 1_000)
            #expect(await Self.scheduler(store, clock).tick() == 1)
            let next = try await Self.stored(store, "morning", workspaceId: fixture.workspace.id)
            #expect(Timestamp.iso8601(next.nextRunAt) == "2026-12-03T08:00:00.000Z")
            let job = try #require(try await Self.jobs(store).first)
            #expect(job.workspaceId == fixture.workspace.id)

            let audit = try await services.audit.list(admin, action: "workspace.time_zone_changed", page: PageRequest(limit: 10))
            #expect(audit.items.count == 1)
            do {
                _ = try await services.workspaces.changeTimeZone(admin, id: fixture.workspace.id, to: "Mars/Olympus")
                Issue.record("an unknown zone was accepted")
            } catch let error as RapportError {
                #expect(error.details["field"] == "time_zone", "\(error)")
            }
        }
    }
}
