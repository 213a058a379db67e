@preconcurrency import AsyncKit
import Logging
import NIOCore
import SQLiteKit

/// Opens SQLite connections with the settings Rapport relies on: WAL, foreign keys, a busy timeout; a page cache
/// of up to 32 MB per connection and reads through a memory map of up to 1 GB of the file (no copy per page read).
struct SQLiteTunedSource: ConnectionPoolSource {
    let base: SQLiteConnectionSource

    func makeConnection(logger: Logger, on eventLoop: any EventLoop) -> EventLoopFuture<SQLiteConnection> {
        base.makeConnection(logger: logger, on: eventLoop).flatMap { connection in
            connection.query("PRAGMA busy_timeout = 10000")
                .flatMap { _ in connection.query("PRAGMA journal_mode = WAL") }
                .flatMap { _ in connection.query("PRAGMA synchronous = NORMAL") }
                .flatMap { _ in connection.query("PRAGMA cache_size = -32768") }
                .flatMap { _ in connection.query("PRAGMA mmap_size = 1073741824") }
                .map { _ in connection }
        }
    }
}
