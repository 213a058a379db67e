import ArgumentParser
import Logging
import RapportRuntime
import RapportStore

/// The runtime without HTTP: the background services (today the segment refresher; job workers and schedulers
/// later) until SIGINT/SIGTERM. Any number of workers can run beside `serve` processes on one database.
struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Migrate the database, then run the background services without HTTP until SIGINT/SIGTERM.")
    @OptionGroup var db: DatabaseOption

    func run() async throws {
        try await runReportingErrors {
            var overrides: [String: String] = [:]
            if let database = db.database { overrides["database.url"] = database }
            let config = try await loadConfigurationAndLogging(overrides: overrides)
            let logger = Logger(label: "rapport")
            try await Runtime.with(config, logger: logger) { runtime in
                for label in runtime.appliedMigrations { logger.notice("applied migration \(label)") }
                let names = runtime.backgroundServices().map { String(describing: type(of: $0)) }.joined(separator: ", ")
                logger.notice("Rapport worker on \(config.database.kind.rawValue) database \(config.database): running \(names)")
                try await runtime.run()
                logger.notice("Rapport worker stopped")
            }
        }
    }
}
