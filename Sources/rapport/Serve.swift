import ArgumentParser
import Foundation
import Hummingbird
import Logging
import RapportServer
import RapportStore
import ServiceLifecycle
import UnixSignals

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Migrate the database, then serve HTTP until SIGINT/SIGTERM.")
    @Option(help: "Address to listen on (default: $HTTP_HOST, else 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on (default: $HTTP_PORT, else 8080).") var port: Int?
    @OptionGroup var db: DatabaseOption
    @Flag(help: "On an empty database, create a Demo workspace with owner demo@rapport.local / rapport-demo-password.")
    var demo = false

    func run() async throws {
        try await runReportingErrors {
            var overrides: [String: String] = [:]
            if let host { overrides["http.host"] = host }
            if let port { overrides["http.port"] = String(port) }
            if let database = db.database { overrides["database.url"] = database }
            let config = try await AppConfig.load(overrides: overrides)
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = config.logLevel
                return handler
            }
            let logger = Logger(label: "rapport")
            let database = try await DatabaseClient.connect(config.database, sqlite: config.sqlite, logger: logger)
            do {
                let applied = try await Migrator(database: database).migrate()
                for label in applied { logger.notice("applied migration \(label)") }
                let services = try await makeServices(config: config, database: database)
                try await Bootstrap.run(services, demo: demo, logger: logger)
                let app = try buildApplication(services: services, logger: logger)
                let refresher = SegmentRefresher(services: services, logger: logger)
                let group = ServiceGroup(configuration: .init(services: [app, refresher], gracefulShutdownSignals: [.sigterm, .sigint],
                                                              logger: logger))
                logger.notice("Rapport \(config.database.kind.rawValue) database \(config.database); listening on http://\(config.host):\(config.port)")
                try await group.run()
                await database.shutdown()
            } catch {
                await database.shutdown()
                throw error
            }
        }
    }
}
