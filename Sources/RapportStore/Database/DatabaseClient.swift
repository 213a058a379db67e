import Dispatch
import Foundation
@preconcurrency import AsyncKit
import Logging
import Metrics
import NIOCore
import NIOConcurrencyHelpers
import NIOPosix
import PostgresKit
import RapportCore
import SQLKit
import SQLiteKit

/// The one gateway to the database. SQLite: one writer connection (writes are serialised, as SQLite allows only
/// one writer) and a pool of readers (WAL lets them read while a write runs). PostgreSQL: one pool for both.
public final class DatabaseClient: Sendable {
    public let kind: DatabaseKind
    public let url: DatabaseURL
    let logger: Logger
    private let backend: Backend
    private let counter = InUseCounter()
    private let transactions = NIOLockedValueBox(TransactionCounts())
    /// When the writer last ran `PRAGMA optimize` (SQLite), in uptime nanoseconds.
    private let lastOptimized = NIOLockedValueBox(DispatchTime.now().uptimeNanoseconds)
    /// The SQLite connection settings in force (unused on PostgreSQL).
    public let sqliteOptions: SQLiteOptions

    private enum Backend: @unchecked Sendable {
        case sqlite(writer: EventLoopGroupConnectionPool<SQLiteTunedSource>,
                    readers: EventLoopGroupConnectionPool<SQLiteTunedSource>, threads: [NIOThreadPool])
        case postgres(EventLoopGroupConnectionPool<PostgresConnectionSource>)
    }

    private init(url: DatabaseURL, backend: Backend, sqliteOptions: SQLiteOptions, logger: Logger) {
        self.url = url
        self.sqliteOptions = sqliteOptions
        self.kind = url.kind
        self.backend = backend
        var quiet = logger
        quiet.logLevel = .critical
        self.logger = quiet
    }

    /// Opens the database and checks that it answers; failures come back as one readable line.
    public static func connect(_ url: DatabaseURL, sqlite options: SQLiteOptions = SQLiteOptions(),
                               logger: Logger) async throws -> DatabaseClient {
        // The pool logs every failed connection attempt at error level; callers see the failure anyway.
        var poolLogger = logger
        poolLogger.logLevel = .critical
        let client: DatabaseClient
        switch url {
        case .sqlite(let path):
            let fileURL = URL(fileURLWithPath: path)
            do {
                try FileManager.default.createDirectory(at: fileURL.deletingLastPathComponent(),
                                                        withIntermediateDirectories: true)
            } catch {
                throw DatabaseConnectError(message: "cannot create the folder of \(path): \(error.localizedDescription)")
            }
            // SQLite calls block, so sqlite-nio runs them on a thread pool; NIO's shared one has a thread per core. A
            // long count (a dashboard recount at 1M responses takes seconds) held those threads and every page's small
            // reads queued behind it. Each reader connection gets a thread of its own, the writer one more: a long
            // read then shares the cores with the short ones instead of making them wait.
            let group = MultiThreadedEventLoopGroup.singleton
            let readersPerLoop = 4
            let readerThreads = NIOThreadPool(numberOfThreads: readersPerLoop * NIOSingletons.groupLoopCountSuggestion)
            let writerThread = NIOThreadPool(numberOfThreads: 1)
            readerThreads.start()
            writerThread.start()
            let configuration = SQLiteConfiguration(storage: .file(path: fileURL.path), enableForeignKeys: true)
            let source = SQLiteTunedSource(base: SQLiteConnectionSource(configuration: configuration, threadPool: readerThreads),
                                           options: options)
            var writerSource = SQLiteTunedSource(base: SQLiteConnectionSource(configuration: configuration, threadPool: writerThread),
                                                 options: options)
            writerSource.isWriter = true
            let writer = EventLoopGroupConnectionPool(source: writerSource, maxConnectionsPerEventLoop: 1,
                                                      requestTimeout: .seconds(30), pruneInterval: nil,
                                                      logger: poolLogger, on: group.next())
            let readers = EventLoopGroupConnectionPool(source: source, maxConnectionsPerEventLoop: readersPerLoop,
                                                       requestTimeout: .seconds(30), pruneInterval: nil,
                                                       logger: poolLogger, on: group)
            client = DatabaseClient(url: url, backend: .sqlite(writer: writer, readers: readers, threads: [readerThreads, writerThread]),
                                    sqliteOptions: options, logger: logger)
        case .postgres(let raw, let searchPath):
            var configuration: SQLPostgresConfiguration
            do {
                configuration = try SQLPostgresConfiguration(url: raw)
            } catch {
                throw DatabaseConnectError(message: "invalid PostgreSQL URL \(url)")
            }
            configuration.searchPath = searchPath
            configuration.coreConfiguration.options.connectTimeout = .seconds(5)
            let pool = EventLoopGroupConnectionPool(
                source: PostgresConnectionSource(sqlConfiguration: configuration), maxConnectionsPerEventLoop: 4,
                requestTimeout: .seconds(10), pruneInterval: .seconds(60), logger: poolLogger,
                on: MultiThreadedEventLoopGroup.singleton)
            client = DatabaseClient(url: url, backend: .postgres(pool), sqliteOptions: options, logger: logger)
        }
        do {
            try await client.read { try await $0.raw("SELECT 1").run() }
            if case .sqlite = url { try await client.write { _ in } }
        } catch {
            await client.shutdown()
            throw DatabaseConnectError(message: "cannot reach the database at \(url): \(Self.describe(error))")
        }
        return client
    }

    /// Runs `body` on a reading connection.
    public func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        switch backend {
        case .sqlite(_, let readers, _):
            return try await withConnection(readers) { try await body($0.sql(queryLogLevel: .trace)) }
        case .postgres(let pool):
            return try await withConnection(pool) { try await body($0.sql(queryLogLevel: .trace)) }
        }
    }

    /// Runs `body` in one transaction on the writer; it commits only if `body` returns.
    public func write<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        switch backend {
        case .sqlite(let writer, _, _):
            return try await withConnection(writer) { connection in
                let db = connection.sql(queryLogLevel: .trace)
                let result = try await transaction(db, begin: "BEGIN IMMEDIATE", body)
                try? await optimizeIfDue(db)
                return result
            }
        case .postgres(let pool):
            // A deadlock or serialization failure aborts one of the transactions involved; it did nothing, so it
            // runs again, after a short random pause that lets the other one finish.
            var attempt = 1
            while true {
                do {
                    return try await withConnection(pool) { connection in
                        try await transaction(connection.sql(queryLogLevel: .trace), begin: "BEGIN", body)
                    }
                } catch let error where Self.isTransient(error) {
                    guard attempt < Self.transientAttempts else {
                        throw RapportError(.unavailable, code: "busy",
                                           message: "The database was too busy to store this; try again.")
                    }
                    try await Task.sleep(for: .milliseconds(Int.random(in: 5...(20 * attempt))))
                    attempt += 1
                }
            }
        }
    }

    /// How often a transaction aborted by a deadlock or serialization failure is run before giving up.
    static let transientAttempts = 4

    /// PostgreSQL's serialization failure (40001) and deadlock (40P01): the transaction may simply be run again.
    static func isTransient(_ error: any Error) -> Bool {
        guard let psql = error as? PSQLError, let state = psql.serverInfo?[.sqlState] else { return false }
        return state == "40001" || state == "40P01"
    }

    /// Transactions begun and rolled back by `write` since the client opened (for tests and diagnostics).
    public var transactionCounts: TransactionCounts { transactions.withLockedValue { $0 } }

    /// Brings the planner's statistics up to date after a bulk write (an import): on PostgreSQL `ANALYZE` of
    /// `tables` (autovacuum would get there, but only after a threshold of changed rows and its own nap); on SQLite
    /// `SQLiteTunedSource.optimizeEveryTable`, which analyses (bounded) every table whose size changed enough to matter.
    public func refreshStatistics(tables: [String]) async throws {
        switch backend {
        case .sqlite:
            try await refreshStaleStatistics()
        case .postgres(let pool):
            guard !tables.isEmpty else { return }
            try await withConnection(pool) { connection in
                try await connection.sql(queryLogLevel: .trace)
                    .raw("ANALYZE \(unsafeRaw: tables.joined(separator: ", "))").run()
            }
        }
    }

    /// SQLite: analyses (bounded) every table whose indexes lack statistics or whose size changed ten-fold since they
    /// were taken (`SQLiteTunedSource.optimizeEveryTable`), as https://sqlite.org/lang_analyze.html recommends when a
    /// long-lived connection opens; the runtime calls it once after the migrations, where it may take as long as it
    /// needs (minutes for a new index on tens of millions of rows on a cold disk) instead of inside a pool's wait.
    /// PostgreSQL: nothing (autovacuum analyses changed tables; imports call `refreshStatistics(tables:)`).
    public func refreshStaleStatistics() async throws {
        guard case .sqlite(let writer, _, _) = backend else { return }
        try await withConnection(writer) { connection in
            try await Self.optimize(connection.sql(queryLogLevel: .trace), lastOptimized, everyTable: true)
        }
    }

    /// How often the SQLite writer refreshes statistics while it runs (SQLite suggests hourly or daily).
    static let optimizeInterval: UInt64 = 3_600 * 1_000_000_000

    /// Runs `PRAGMA optimize` on the writer after a write when the last run is an hour old.
    private func optimizeIfDue(_ db: any SQLDatabase) async throws {
        let now = DispatchTime.now().uptimeNanoseconds
        let due = lastOptimized.withLockedValue { last in
            guard now &- last >= Self.optimizeInterval else { return false }
            last = now
            return true
        }
        if due { try await Self.optimize(db, lastOptimized) }
    }

    private static func optimize(_ db: any SQLDatabase, _ last: NIOLockedValueBox<UInt64>, everyTable: Bool = false) async throws {
        try await db.raw(everyTable ? SQLQueryString(SQLiteTunedSource.optimizeEveryTable) : "PRAGMA optimize").run()
        last.withLockedValue { $0 = DispatchTime.now().uptimeNanoseconds }
    }

    /// Closes every connection.
    public func shutdown() async {
        switch backend {
        case .sqlite(let writer, let readers, let threads):
            // SQLite recommends `PRAGMA optimize` before a long-lived connection closes.
            try? await withConnection(writer) { connection in
                try await Self.optimize(connection.sql(queryLogLevel: .trace), lastOptimized)
            }
            try? await writer.shutdownAsync()
            try? await readers.shutdownAsync()
            for pool in threads { try? await pool.shutdownGracefully() }
        case .postgres(let pool):
            try? await pool.shutdownAsync()
        }
    }

    private func transaction<T>(_ db: any SQLDatabase, begin: String,
                                _ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await db.raw(SQLQueryString(begin)).run()
        transactions.withLockedValue { $0.begun += 1 }
        do {
            let result = try await body(db)
            try await db.raw("COMMIT").run()
            return result
        } catch {
            transactions.withLockedValue { $0.rolledBack += 1 }
            try? await db.raw("ROLLBACK").run()
            throw Self.translate(error)
        }
    }

    /// Every connection stayed in use for the pool's request timeout (10 s): the server is overloaded, which a
    /// client may retry (`503` with Retry-After), not a fault of the request (`500`).
    static func busyIfPoolTimedOut(_ error: any Error) -> any Error {
        guard case ConnectionPoolTimeoutError.connectionRequestTimeout? = error as? ConnectionPoolTimeoutError else { return error }
        return RapportError(.unavailable, code: "busy", message: "The server is busy: every database connection stayed in use. Try again in a moment.",
                            details: ["retry_after_seconds": "5"])
    }

    private func withConnection<Source: ConnectionPoolSource, T>(
        _ pool: EventLoopGroupConnectionPool<Source>, _ body: (Source.Connection) async throws -> T
    ) async throws -> T {
        let start = DispatchTime.now()
        let connection: Source.Connection
        do {
            connection = try await pool.requestConnection(logger: logger).get()
        } catch {
            throw Self.busyIfPoolTimedOut(error)
        }
        // Made per use (the metrics factory caches them) so they bind to the backend bootstrapped later.
        let dimensions = [("database", kind.rawValue)]
        Metrics.Timer(label: "rapport_db_acquire_duration", dimensions: dimensions, preferredDisplayUnit: .seconds)
            .recordInterval(since: start)
        let inUse = Gauge(label: "rapport_db_connections_in_use", dimensions: dimensions)
        inUse.record(counter.add(1))
        defer {
            pool.releaseConnection(connection, logger: logger)
            inUse.record(counter.add(-1))
        }
        return try await body(connection)
    }

    /// Unique-key violations become a 409 instead of a 500: a concurrent writer got there first.
    static func translate(_ error: any Error) -> any Error {
        if error is RapportError { return error }
        let text = String(reflecting: error)
        if text.contains("UNIQUE constraint failed") || text.contains("23505") || text.contains("uniqueViolation") {
            return RapportError(.conflict, code: "conflict", message: "That record already exists.")
        }
        return error
    }

    static func describe(_ error: any Error) -> String {
        if let psql = error as? PSQLError {
            if let message = psql.serverInfo?[.message] { return message }
            if let underlying = psql.underlying {
                let text = String(describing: underlying)
                for known in ["Connection refused", "timed out", "No such file", "Network is unreachable"] where text.contains(known) {
                    return known.lowercased()
                }
                return text
            }
            return "\(psql.code)"
        }
        return String(describing: error).split(separator: "\n").first.map(String.init) ?? "unknown error"
    }
}

/// How many write transactions a `DatabaseClient` has begun, and how many of them were rolled back.
public struct TransactionCounts: Sendable, Equatable {
    public var begun = 0
    public var rolledBack = 0
}

/// The database could not be opened or reached.
public struct DatabaseConnectError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}

private final class InUseCounter: Sendable {
    private let value = NIOLockedValueBox(0)
    func add(_ delta: Int) -> Int { value.withLockedValue { $0 += delta; return $0 } }
}
