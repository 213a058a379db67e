import AsyncKit
import Foundation
import RapportCore
@testable import RapportStore
import SQLKit
import Testing

/// The database gateway itself: what callers of `write` can rely on.
@Suite("Database client")
struct DatabaseClientTests {
    /// When every pooled connection stays in use for the pool's wait (as 50 people opening a slow dashboard did on
    /// PostgreSQL), the caller gets "busy, retry" (`503` with Retry-After), not a `500`; other errors pass unchanged.
    @Test func aConnectionPoolTimeoutIsBusyNotAFault() {
        let mapped = DatabaseClient.busyIfPoolTimedOut(ConnectionPoolTimeoutError.connectionRequestTimeout) as? RapportError
        #expect(mapped?.kind == .unavailable && mapped?.code == "busy" && mapped?.details["retry_after_seconds"] == "5")
        struct Other: Error {}
        #expect(DatabaseClient.busyIfPoolTimedOut(Other()) is Other)
    }

    /// Two writes that lock the same rows in opposite orders deadlock on PostgreSQL, which aborts one of them; the
    /// aborted one is run again and both are stored (SQLite has one writer, so it cannot deadlock).
    @Test(.enabled(if: TestApp.postgresURL != nil)) func aDeadlockedWriteIsRunAgain() async throws {
        try await TestApp.withDatabase { (database: DatabaseClient) async throws in
            try await database.write { db in
                try await db.raw("CREATE TABLE deadlock_probe (id INT PRIMARY KEY, hits INT NOT NULL)").run()
                try await db.raw("INSERT INTO deadlock_probe VALUES (1, 0), (2, 0)").run()
            }
            let barrier = Barrier(parties: 2)
            let attempts = Counter()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (first, second) in [(1, 2), (2, 1)] {
                    group.addTask {
                        try await database.write { db in
                            await attempts.add()
                            try await db.raw("UPDATE deadlock_probe SET hits = hits + 1 WHERE id = \(bind: first)").run()
                            await barrier.arrive() // both hold their first row before either asks for its second
                            try await db.raw("UPDATE deadlock_probe SET hits = hits + 1 WHERE id = \(bind: second)").run()
                        }
                    }
                }
                try await group.waitForAll()
            }
            let hits = try await database.read { db in
                try await db.raw("SELECT hits FROM deadlock_probe ORDER BY id").all().map { try $0.decode(column: "hits", as: Int.self) }
            }
            #expect(hits == [2, 2])
            #expect(await attempts.value == 3) // one of the two ran twice
        }
    }
}

extension DatabaseClientTests {
    /// A short read is answered while long reads run (a dashboard recount on SQLite held the blocking threads and
    /// every page's small reads queued behind it): on SQLite each reader connection has a thread of its own. The long
    /// reads here wait without burning CPU (so the suite running beside it keeps its timing) on a lock a write holds:
    /// on SQLite in the busy handler of a `BEGIN IMMEDIATE`, which keeps the reader's thread as a long count would; on
    /// PostgreSQL on a transaction advisory lock. The write lets go once the short read is answered (or after 8 s,
    /// inside SQLite's busy timeout), so a slow machine cannot make the long reads finish first.
    @Test func aShortReadIsAnsweredWhileLongReadsRun() async throws {
        try await TestApp.withDatabase { (database: DatabaseClient) async throws in
            let postgres = database.kind == .postgres
            let lockKey = Int64.random(in: 1...Int64(Int32.max))
            let holding = Counter(), finished = Counter(), answered = Counter()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await database.write { db in
                        if postgres { try await db.raw("SELECT pg_advisory_xact_lock(\(unsafeRaw: String(lockKey)))").run() }
                        await holding.add()
                        let deadline = ContinuousClock.now + .seconds(8)
                        while await answered.value == 0, ContinuousClock.now < deadline {
                            try await Task.sleep(for: .milliseconds(10))
                        }
                    }
                }
                while await holding.value == 0 { try await Task.sleep(for: .milliseconds(5)) }
                // Three long reads: more than the cores of a small machine, fewer than the readers of one event loop.
                for _ in 0..<3 {
                    group.addTask {
                        try await database.read { db in
                            if postgres {
                                try await db.raw("SELECT pg_advisory_xact_lock(\(unsafeRaw: String(lockKey)))").run()
                            } else {
                                try await db.raw("BEGIN IMMEDIATE").run()
                                try await db.raw("ROLLBACK").run()
                            }
                        }
                        await finished.add()
                    }
                }
                try await Task.sleep(for: .milliseconds(100))
                let answer = try await database.read { try await $0.raw("SELECT 42 AS n").first()?.decode(column: "n", as: Int.self) }
                #expect(answer == 42)
                #expect(await finished.value == 0, "the short read was answered before any long read finished")
                await answered.add()
                try await group.waitForAll()
            }
            #expect(await finished.value == 3)
        }
    }
}

/// Lets `parties` tasks wait for each other once; later arrivals pass straight through.
private actor Barrier {
    let parties: Int
    private var arrived = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(parties: Int) { self.parties = parties }

    func arrive() async {
        arrived += 1
        if arrived > parties { return }
        if arrived == parties {
            waiting.forEach { $0.resume() }
            waiting = []
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }
}

private actor Counter {
    private(set) var value = 0
    func add() { value += 1 }
}
