import Logging
import RapportCore
import RapportStore

/// The program without its front door: the configuration, the open database and the services built on it, and the
/// background work that runs beside whatever serves requests (see `Runtime+ServiceGroup.swift`). `rapport serve`
/// adds the HTTP server to it, `rapport worker` runs it alone, the other commands call its services and exit, and the
/// in-process tests assemble the app through it. It needs no HTTP module.
public struct Runtime: Sendable {
    public let config: AppConfig
    public let services: AppServices
    public let logger: Logger
    /// The migrations applied when this runtime opened the database, oldest first; empty when the schema was current.
    public let appliedMigrations: [String]

    public var database: DatabaseClient { services.database }

    /// A runtime over a database its caller opened (and migrated) and will close.
    public init(config: AppConfig, database: DatabaseClient, logger: Logger, clock: WallClock = .system,
                appliedMigrations: [String] = []) {
        self.config = config
        self.services = AppServices(config: config, database: database, clock: clock)
        self.logger = logger
        self.appliedMigrations = appliedMigrations
    }

    /// Connects to `config.database`, applies pending migrations, builds the services and runs `body` with them; the
    /// database is closed afterwards, also when `body` throws.
    public static func with<T>(_ config: AppConfig, logger: Logger, clock: WallClock = .system,
                               _ body: (Runtime) async throws -> T) async throws -> T {
        let database = try await DatabaseClient.connect(config.database, sqlite: config.sqlite, logger: logger)
        var config = config
        do {
            try config.loadLocalSecretKey()
            let applied = try await Migrator(database: database).migrate()
            let refreshing = ContinuousClock.now
            try await database.refreshStaleStatistics()
            let refreshed = ContinuousClock.now - refreshing
            if refreshed > .seconds(1) {
                logger.notice("refreshed the planner's statistics", metadata: ["seconds": "\(refreshed.components.seconds)"])
            }
            // Workspaces from before the daily metric counts, or whose zone was changed around Rapport.
            try await MetricRollups.rebuild(database, all: false, now: clock.nowMillis)
            // Signing secrets stored before they were sealed, or before this server had a key.
            if let key = config.secretKey { try await database.sealPlainSecrets(box: AESGCMSecretBox(key: key)) }
            let runtime = Runtime(config: config, database: database, logger: logger, clock: clock,
                                  appliedMigrations: applied)
            let result = try await body(runtime)
            await database.shutdown()
            return result
        } catch {
            await database.shutdown()
            throw error
        }
    }
}
