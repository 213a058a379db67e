@preconcurrency import AsyncKit
import Logging
import NIOCore
import SQLiteKit

/// Opens SQLite connections with the settings Rapport relies on: WAL, foreign keys, a busy timeout.
struct SQLiteTunedSource: ConnectionPoolSource {
    let base: SQLiteConnectionSource

    func makeConnection(logger: Logger, on eventLoop: any EventLoop) -> EventLoopFuture<SQLiteConnection> {
        base.makeConnection(logger: logger, on: eventLoop).flatMap { connection in
            connection.query("PRAGMA busy_timeout = 10000")
                .flatMap { _ in connection.query("PRAGMA journal_mode = WAL") }
                .flatMap { _ in connection.query("PRAGMA synchronous = NORMAL") }
                .map { _ in connection }
        }
    }
}
