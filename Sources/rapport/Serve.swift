import ArgumentParser
import Logging
import RapportRuntime
import RapportStore
import RapportServer

/// The one command that needs HTTP: the runtime with the HTTP application as its front door.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Migrate the database, then serve HTTP and run the background services until SIGINT/SIGTERM.")
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
            let config = try await loadConfigurationAndLogging(overrides: overrides)
            let logger = Logger(label: "rapport")
            try await Runtime.with(config, logger: logger) { runtime in
                for label in runtime.appliedMigrations { logger.notice("applied migration \(label)") }
                try await Bootstrap.run(runtime.services, demo: demo, logger: logger)
                let app = try await buildApplication(services: runtime.services, logger: logger)
                logger.notice("Rapport \(config.database.kind.rawValue) database \(config.database); listening on http://\(config.host):\(config.port)")
                try await runtime.run(front: [app])
            }
        }
    }
}
