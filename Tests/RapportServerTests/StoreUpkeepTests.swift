import Foundation
import Logging
import RapportCore
import RapportRuntime
import RapportServer
@testable import RapportStore
import SQLKit
import Testing

/// Plans of hot queries and the SQLite settings in force: checked, not hoped.
@Suite("Query plans and database settings")
struct StoreUpkeepTests {
    /// The plan of `query` on a freshly migrated database, whose tables have no statistics: SQLite's
    /// `EXPLAIN QUERY PLAN` details, or PostgreSQL's `EXPLAIN` lines.
    static func plan(_ database: DatabaseClient, _ query: SQLQueryString) async throws -> String {
        try await database.write { db in
            let explain: SQLQueryString = db.isPostgres ? "EXPLAIN \(query)" : "EXPLAIN QUERY PLAN \(query)"
            return try await db.raw(explain).all().map { row in
                db.isPostgres ? try row.decode(column: "QUERY PLAN", as: String.self) : try row.decode(column: "detail", as: String.self)
            }.joined(separator: "\n")
        }
    }

    /// A profile's identifiers (read when a message names two profiles, and by the profile page) come from one range
    /// of the by-customer index, in its order: no walk of the workspace's identifiers, no sort. Without statistics
    /// SQLite used to pick the primary key for its order and walk every identifier of the workspace.
    @Test func aProfilesIdentifiersAreReadByTheByCustomerIndex() async throws {
        try await TestApp.withDatabase { database in
            let plan = try await Self.plan(database, SQLCustomerRepository.identifiersQuery(workspaceId: "w", customerId: "c"))
            #expect(plan.contains("customer_identifiers_by_customer_sorted"), "\(plan)")
            #expect(!plan.contains("TEMP B-TREE") && !plan.contains("Sort"), "\(plan)")
        }
    }

    /// Identifiers are looked up by their primary key even when SQLite's statistics say the workspace is small (they
    /// were taken before an import or a busy day multiplied it): with such statistics SQLite used to walk every
    /// identifier of the workspace for each batch of 300, and a large import resumed after a restart slowed to a
    /// crawl.
    @Test func identifiersAreLookedUpByKeyWhateverTheStatisticsSay() async throws {
        try await TestApp.withDatabase { database in
            guard database.kind == .sqlite else { return }
            try await database.write { db in
                try await db.raw("ANALYZE").run()
                try await db.raw("DELETE FROM sqlite_stat1").run()
                try await db.raw("""
                    INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES
                    ('customer_identifiers', 'sqlite_autoindex_customer_identifiers_1', '1000 1000 1000 1000 1'),
                    ('customer_identifiers', 'customer_identifiers_by_customer_sorted', '1000 1000 1 1 1 1'),
                    ('customers', 'sqlite_autoindex_customers_1', '1000 1000 1')
                    """).run()
                try await db.raw("ANALYZE sqlite_schema").run()  // loads the statistics above into the planner
            }
            let emails = (0..<300).map { Identifier(.email, "person\($0)@example.com") }
            for withProfiles in [false, true] {
                let plan = try await Self.plan(database, SQLCustomerRepository.ownersQuery(
                    workspaceId: "w", branches: [emails], withProfiles: withProfiles, postgres: false))
                #expect(plan.contains("sqlite_autoindex_customer_identifiers_1 (workspace_id=? AND kind=? AND namespace=? AND value=?)"),
                        "\(plan)")
                #expect(!plan.contains("customer_identifiers_by_customer_sorted"), "\(plan)")
            }
        }
    }

    /// The rule builder's event names are read with one seek of `activities_by_name` per name, not by reading every
    /// tracked event of the workspace (which a large workspace has millions of).
    @Test func eventNamesForTheRuleBuilderAreSeekedNotScanned() async throws {
        try await TestApp.withDatabase { database in
            let plan = try await Self.plan(database, SQLSegmentRepository.eventNamesQuery(workspaceId: "w", limit: 500))
            if database.kind == .sqlite {
                #expect(plan.contains("activities_by_name"), "\(plan)")
                #expect(!plan.contains("SCAN activities") && !plan.contains("SCAN a "), "\(plan)")
            } else {
                #expect(!plan.contains("Seq Scan on activities"), "\(plan)")
            }
        }
    }

    /// The scheduler's due check and an idle worker's "is anything due?" run every second in every process: each reads
    /// a range of an index, never the whole table.
    @Test func theSchedulerAndIdleWorkerProbesReadIndexRanges() async throws {
        try await TestApp.withDatabase { database in
            let due = try await Self.plan(database, SQLScheduleRepository.dueQuery(now: 1, limit: 100))
            #expect(due.contains("schedules_due"), "\(due)")
            let probe = try await Self.plan(database, SQLJobRepository.hasDueQuery(now: 1))
            #expect(!probe.contains("SCAN jobs") && !probe.contains("Seq Scan"), "\(probe)")
            // Without statistics PostgreSQL may read the queued probe from `jobs_lease` by its `state` prefix: still a
            // range, not the table.
            if database.kind == .sqlite {
                #expect(probe.contains("jobs_claim") && probe.contains("jobs_lease"), "\(probe)")
            }
        }
    }

    /// A claim reads the first due entries of `jobs_due`, in the claim's order, however many jobs are due. Before the
    /// index it read every due job and sorted them: about 45 ms a claim with 20,000 due on SQLite, so draining a
    /// backlog took time quadratic in its size (docs/benchmarks.md, "Job queue").
    @Test func aClaimReadsTheDueIndexInItsOrder() async throws {
        try await TestApp.withDatabase { database in
            let query = SQLJobRepository.claimQuery(owner: "w", limit: 4, now: 1, leaseMillis: 1,
                                                    postgres: database.kind == .postgres)
            let plan = try await Self.plan(database, query)
            #expect(!plan.contains("SCAN jobs") && !plan.contains("Seq Scan"), "\(plan)")
            // Without statistics PostgreSQL may pick another index for an empty table; the benchmark's plan with
            // thousands of jobs used `jobs_due`.
            if database.kind == .sqlite {
                #expect(plan.contains("jobs_due"), "\(plan)")
            }
        }
    }

    /// Every transaction that may trigger an automation rule reads the enabled rules' triggers; the evaluation counts
    /// a rule's recent runs for its limits. Each reads a range of an index, never the table.
    @Test func automationReadsOnTheWritePathUseTheirIndexes() async throws {
        try await TestApp.withDatabase { database in
            let triggers = try await Self.plan(database, SQLAutomationRepository.enabledTriggersQuery(workspaceId: "w"))
            let perCustomer = try await Self.plan(database, SQLAutomationRepository.countRunsQuery(
                workspaceId: "w", ruleId: "r", customerId: "c", since: 1))
            let perRule = try await Self.plan(database, SQLAutomationRepository.countRunsQuery(
                workspaceId: "w", ruleId: "r", customerId: nil, since: 1))
            for plan in [triggers, perCustomer, perRule] {
                #expect(!plan.contains("SCAN automation_") && !plan.contains("Seq Scan"), "\(plan)")
            }
            #expect(perCustomer.contains("automation_runs_by_customer"), "\(perCustomer)")
            // Without statistics PostgreSQL (18, with skip scans) may read the per-rule count from the per-customer
            // index: still index ranges, not the table.
            if database.kind == .sqlite {
                #expect(perRule.contains("automation_runs_by_rule"), "\(perRule)")
            }
        }
    }

    /// The merges shown on a profile are read by survivor, not by reading every merge of the workspace.
    @Test func aProfilesMergesAreReadByTheBySurvivorIndex() async throws {
        try await TestApp.withDatabase { database in
            let plan = try await Self.plan(database, SQLCustomerRepository.mergesQuery(workspaceId: "w", customerId: "c1"))
            #expect(plan.contains("customer_merges_by_survivor"), "\(plan)")
            #expect(!plan.contains("SCAN customer_merges") && !plan.contains("Seq Scan"), "\(plan)")
            if database.kind == .sqlite {  // each generation is a range of the index per merged profile
                #expect(!plan.contains("customer_merges_by_survivor (workspace_id=?)"), "\(plan)")
            }
        }
    }

    /// The merges of a profile include those into profiles later merged into it, and no others.
    @Test func aProfilesMergesFollowEarlierMergesAndNoOthers() async throws {
        try await TestApp.withDatabase { database in
            let store = SQLDataStore(database: database)
            try await store.write { repos in
                try await repos.customers.recordMerges([("m1", "b", "c"), ("m2", "a", "b"), ("m3", "x", "y"), ("m4", "a", "d")].map {
                    CustomerMerge(id: $0.0, workspaceId: "w-1", survivorId: $0.1, mergedId: $0.2, reason: "test", identifiers: [],
                                  mergedAt: 0)
                })
            }
            let merges = try await store.read { try await $0.customers.merges(workspaceId: "w-1", customerId: "a") }
            #expect(merges.map(\.id) == ["m1", "m2", "m4"])
            let none = try await store.read { try await $0.customers.merges(workspaceId: "w-1", customerId: "y") }
            #expect(none.isEmpty)
        }
    }

    static func pragma(_ database: DatabaseClient, _ name: String, onWriter: Bool) async throws -> Int {
        let query = SQLQueryString("PRAGMA \(unsafeRaw: name)")
        let rows = onWriter
            ? try await database.write { try await $0.raw(query).all() }
            : try await database.read { try await $0.raw(query).all() }
        return try rows.first?.decode(column: name, as: Int.self) ?? -1
    }

    static func withSQLite(_ options: SQLiteOptions?, _ body: (DatabaseClient) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rapport-pragma-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let url = DatabaseURL.sqlite(path: dir.appendingPathComponent("db.sqlite").path)
        let database = if let options {
            try await DatabaseClient.connect(url, sqlite: options, logger: logger)
        } else {
            try await DatabaseClient.connect(url, logger: logger)
        }
        do {
            try await body(database)
        } catch {
            await database.shutdown()
            throw error
        }
        await database.shutdown()
    }

    /// An acknowledged write survives power loss by default (`synchronous=FULL` in WAL, on the writer and the
    /// readers); `SQLITE_SYNCHRONOUS=normal` trades that for speed.
    @Test(.enabled(if: TestApp.postgresURL == nil)) func sqliteSyncsEveryCommitUnlessToldOtherwise() async throws {
        try await Self.withSQLite(nil) { database in
            let wSynchronous = try await Self.pragma(database, "synchronous", onWriter: true)
            #expect(wSynchronous == 2)
            let rSynchronous = try await Self.pragma(database, "synchronous", onWriter: false)
            #expect(rSynchronous == 2)
        }
        let config = try await AppConfig.load(environment: ["SQLITE_SYNCHRONOUS": "normal"])
        #expect(config.sqlite.synchronous == .normal)
        try await Self.withSQLite(config.sqlite) { database in
            let wSynchronous = try await Self.pragma(database, "synchronous", onWriter: true)
            #expect(wSynchronous == 1)
            let rSynchronous = try await Self.pragma(database, "synchronous", onWriter: false)
            #expect(rSynchronous == 1)
        }
    }

    /// The writer keeps its statement journals in memory and checkpoints every 16,000 pages (see SQLiteTunedSource);
    /// readers keep SQLite's defaults, so a large sort of theirs still spills to disk.
    @Test(.enabled(if: TestApp.postgresURL == nil)) func sqliteWriterSettingsDifferFromTheReaders() async throws {
        try await Self.withSQLite(nil) { database in
            let wTemp = try await Self.pragma(database, "temp_store", onWriter: true)
            let wCheckpoint = try await Self.pragma(database, "wal_autocheckpoint", onWriter: true)
            let rTemp = try await Self.pragma(database, "temp_store", onWriter: false)
            let rCheckpoint = try await Self.pragma(database, "wal_autocheckpoint", onWriter: false)
            #expect(wTemp == 2)
            #expect(wCheckpoint == 16000)
            #expect(rTemp == 0)
            #expect(rCheckpoint == 1000)
        }
    }

    /// The memory map follows `SQLITE_MMAP_BYTES` (1 GiB by default, 0 turns it off).
    @Test(.enabled(if: TestApp.postgresURL == nil)) func sqliteMemoryMapFollowsTheSetting() async throws {
        try await Self.withSQLite(nil) { database in
            let wMmapsize = try await Self.pragma(database, "mmap_size", onWriter: true)
            #expect(wMmapsize == 1 << 30)
            let rMmapsize = try await Self.pragma(database, "mmap_size", onWriter: false)
            #expect(rMmapsize == 1 << 30)
        }
        for (setting, expected) in [("67108864", 67_108_864), ("0", 0)] {
            let config = try await AppConfig.load(environment: ["SQLITE_MMAP_BYTES": setting])
            try await Self.withSQLite(config.sqlite) { database in
                let wMmapsize = try await Self.pragma(database, "mmap_size", onWriter: true)
                #expect(wMmapsize == expected)
                let rMmapsize = try await Self.pragma(database, "mmap_size", onWriter: false)
                #expect(rMmapsize == expected)
            }
        }
    }

    /// Opening a connection never analyses: the pool waits at most 30 s for a connection, and an `ANALYZE`, bounded or
    /// not, counts every entry of every index of its table (minutes at 10M responses on a cold disk, so `rapport
    /// metrics rebuild` could not open its database). A command's start-up analyses once, after the migrations, every
    /// table whose statistics are missing or ten-fold off (here a table that grew from 10 rows to 1,000).
    @Test(.enabled(if: TestApp.postgresURL == nil)) func statisticsAreRefreshedAtStartUpNotWhenAConnectionOpens() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rapport-stat-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        var config = AppConfig()
        config.database = .sqlite(path: dir.appendingPathComponent("db.sqlite").path)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        // The row count in the statistics of probe's index.
        let counted: @Sendable (any SQLDatabase) async throws -> Int? = { db in
            let stat = try await db.raw("SELECT stat FROM sqlite_stat1 WHERE tbl = 'probe' AND idx = 'probe_by_name'")
                .first()?.decode(column: "stat", as: String.self)
            return stat?.split(separator: " ").first.flatMap { Int($0) }
        }
        let insert: @Sendable (any SQLDatabase, Int) async throws -> Void = { db, rows in
            try await db.raw("""
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(unsafeRaw: String(rows)))
                INSERT INTO probe (name) SELECT 'name ' || (i % 5) FROM n
                """).run()
        }
        try await Runtime.with(config, logger: logger) { runtime in
            try await runtime.database.write { db in
                try await db.raw("CREATE TABLE probe (id INTEGER PRIMARY KEY, name TEXT NOT NULL)").run()
                try await db.raw("CREATE INDEX probe_by_name ON probe (name)").run()
                try await insert(db, 10)
                try await db.raw("ANALYZE probe").run()
                try await insert(db, 990)
            }
        }
        let database = try await DatabaseClient.connect(config.database, logger: logger)
        try await database.write { db in try await db.raw("SELECT 1").run() }  // opens the writer's connection
        let afterOpening = try await database.read(counted)
        await database.shutdown()
        #expect(afterOpening == 10)
        try await Runtime.with(config, logger: logger) { runtime in
            let afterStartUp = try await runtime.database.read(counted)
            #expect(afterStartUp == 1_000)
        }
    }

    /// The runtime refreshes statistics when it starts and after imports; every `ANALYZE` that refresh can run is bounded
    /// by SQLite's analysis limit (the limit is the second operand of each `SqlExec` in the statement's program), so a
    /// table of millions of rows without statistics is sampled, not read whole, before the server can start.
    @Test(.enabled(if: TestApp.postgresURL == nil)) func sqliteStatisticsRefreshesAreBounded() async throws {
        try await Self.withSQLite(nil) { database in
            try await Migrator(database: database).migrate()
            let program = try await database.write { db in
                try await db.raw(SQLQueryString("EXPLAIN " + SQLiteTunedSource.optimizeEveryTable)).all()
            }
            let analyses = try program.filter { try $0.decode(column: "opcode", as: String.self) == "SqlExec" }
            let limits = try analyses.map { try $0.decode(column: "p2", as: Int.self) }
            let statements = try analyses.map { try $0.decode(column: "p4", as: String.self) }
            #expect(statements.contains("ANALYZE \"main\".\"survey_responses\""))
            #expect(statements.contains("ANALYZE \"main\".\"customers\""))
            #expect(!limits.isEmpty && limits.allSatisfy { $0 > 0 })
        }
    }

    /// An import can multiply a workspace's rows; when it ends, the planner's statistics are refreshed (SQLite
    /// `PRAGMA optimize`, PostgreSQL `ANALYZE` of the tables it fills), not left for a later autovacuum.
    @Test func anImportRefreshesThePlannersStatistics() async throws {
        try await TestApp.withRuntime { runtime in
            let services = runtime.services
            let fixture = try await Fixture.make(services)
            let csv = "email,name\n" + (0..<300).map { "person\($0)@example.com,Person \($0)" }.joined(separator: "\n") + "\n"
            let chunks = AsyncStream<[UInt8]> { continuation in
                continuation.yield(Array(csv.utf8))
                continuation.finish()
            }
            let job = try await services.imports.upload(nil, workspaceId: fixture.workspace.id, kind: .customers, chunks: chunks)
            // The import's job, run here (no worker runs in this test).
            try await services.imports.resume(workspaceId: fixture.workspace.id, id: job.id)
            let admin = try await services.access.authenticate(apiKey: fixture.adminKey)
            #expect(try await services.imports.find(admin, id: job.id).status == .completed)
            let analysed = try await services.database.read { db in
                db.isPostgres
                    ? try await db.raw("""
                        SELECT COUNT(*) AS n FROM pg_stat_user_tables WHERE schemaname = current_schema()
                        AND relname IN ('customers', 'customer_identifiers') AND last_analyze IS NOT NULL
                        """).first()?.decode(column: "n", as: Int.self) ?? 0
                    : try await db.raw("""
                        SELECT COUNT(DISTINCT tbl) AS n FROM sqlite_stat1 WHERE tbl IN ('customers', 'customer_identifiers')
                        """).first()?.decode(column: "n", as: Int.self) ?? 0
            }
            #expect(analysed == 2)
        }
    }
}
