@preconcurrency import AsyncKit
import Logging
import NIOCore
import SQLiteKit

/// How SQLite settles a commit on disk in WAL mode (`PRAGMA synchronous`).
public enum SQLiteSynchronous: String, Sendable, CaseIterable {
    /// Every commit is synced to the WAL file before it returns: a commit survives power loss or an OS crash.
    case full
    /// The WAL is synced only at checkpoints: faster, but the last commits before a power loss or OS crash can be
    /// lost (never corrupted); an application crash loses nothing.
    case normal

    /// The value `PRAGMA synchronous` reports for it.
    public var pragmaValue: Int { self == .full ? 2 : 1 }
}

/// The settings of SQLite connections that operators may change (`SQLITE_SYNCHRONOUS`, `SQLITE_MMAP_BYTES`).
public struct SQLiteOptions: Sendable, Equatable {
    /// Full by default: a `200` from the tracking API promises that the messages are committed (durable).
    public var synchronous: SQLiteSynchronous = .full
    /// How much of the database file each connection reads through a memory map (0: none, read with `read()`).
    /// Mapped pages count as the process's resident memory (RssFile), though the kernel can drop them at will.
    public var mmapBytes: Int = 1 << 30

    public init(synchronous: SQLiteSynchronous = .full, mmapBytes: Int = 1 << 30) {
        self.synchronous = synchronous
        self.mmapBytes = mmapBytes
    }
}

/// Opens SQLite connections with the settings Rapport relies on: WAL, foreign keys, a busy timeout, a page cache
/// of up to 32 MB per connection, `options` (durability, memory map). Opening never refreshes the planner's
/// statistics: a connection is opened while a caller waits for the pool (at most 30 s), and an `ANALYZE`, however
/// bounded, counts every entry of every index of its table (`OP_Count`), which took minutes on a cold 23 GB database.
/// The runtime refreshes them once after the migrations instead (`DatabaseClient.refreshStaleStatistics`).
struct SQLiteTunedSource: ConnectionPoolSource {
    let base: SQLiteConnectionSource
    var options = SQLiteOptions()
    /// The one writing connection: it also gets the settings for writes below.
    var isWriter = false

    /// What every connection runs when it opens, in order.
    var pragmas: [String] {
        var pragmas = [
            "PRAGMA busy_timeout = 10000", "PRAGMA journal_mode = WAL",
            "PRAGMA synchronous = \(options.synchronous.rawValue.uppercased())", "PRAGMA cache_size = -32768",
            "PRAGMA mmap_size = \(max(0, options.mmapBytes))",
        ]
        guard isWriter else { return pragmas }
        // The writer's multi-row statements need statement journals (a partial rollback of one statement); once past
        // 64 KiB they spilled to a temporary file, written through the kernel on every batch. In memory on the writer
        // only: readers' temporary tables (large sorts) keep spilling to disk.
        pragmas.append("PRAGMA temp_store = MEMORY")
        // A checkpoint every ~64 MB of WAL instead of SQLite's 4 MB: pages changed again and again (index pages, busy
        // profiles) are copied into the database once per checkpoint rather than sixteen times. Measured on known-people
        // ingest (docs/benchmarks.md): 4,000 pages ran at 7,790–7,990 events/s, 16,000 at 8,885–9,631, 32,000 no
        // faster. The WAL file stays at its largest size (~64 MB) once reached; recovery after a crash reads it once.
        pragmas.append("PRAGMA wal_autocheckpoint = 16000")
        return pragmas
    }

    /// Refreshes the statistics of every table whose indexes have none or whose size changed ten-fold since they were
    /// taken (0x10000: every table, not only those queried on this connection; 0x2: analyse), each `ANALYZE` bounded
    /// by SQLite's analysis limit (0x10: about 2,000 rows an index). Without 0x10 an analysis reads whole tables: a
    /// table whose partial index was empty when a pre-3.46 SQLite analysed it (no `sqlite_stat1` row) was read in
    /// full at every refresh. Even bounded, each `ANALYZE` still counts its table's index entries exactly, page by page.
    static let optimizeEveryTable = "PRAGMA optimize = 0x10012"

    func makeConnection(logger: Logger, on eventLoop: any EventLoop) -> EventLoopFuture<SQLiteConnection> {
        let pragmas = self.pragmas
        return base.makeConnection(logger: logger, on: eventLoop).flatMap { connection in
            pragmas.reduce(eventLoop.makeSucceededVoidFuture()) { previous, pragma in
                previous.flatMap { connection.query(pragma).map { _ in } }
            }
            .map { connection }
        }
    }
}
