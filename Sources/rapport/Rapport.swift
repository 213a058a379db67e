import ArgumentParser
import Foundation
import Logging
import RapportCore
import RapportRuntime
import RapportStore

@main
struct Rapport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rapport",
        abstract: "Rapport: self-hosted customer experience management.",
        subcommands: [Serve.self, Worker.self, Migrate.self, WorkspaceCommand.self, UserCommand.self, ApiKeyCommand.self, ImportCommand.self,
                      SendTestEmail.self, MetricsCommand.self,
                      Version.self]
    )
}

/// `--database`, shared by every subcommand that opens the database.
struct DatabaseOption: ParsableArguments {
    @Option(name: .long, help: "sqlite:PATH or postgres://user:pass@host:port/db (default: $DATABASE_URL, else sqlite:./rapport-data/rapport.sqlite)")
    var database: String?

    func resolved() throws -> DatabaseURL {
        let raw = database ?? ProcessInfo.processInfo.environment["DATABASE_URL"] ?? DatabaseURL.defaultValue
        return try DatabaseURL(parsing: raw)
    }
}

/// Runs a CLI action; any failure is printed as one line on stderr and exits with status 1.
func runReportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ExitCode {
        throw error
    } catch {
        let message: String
        switch error {
        case let error as RapportError: message = error.message
        case let error as any CustomStringConvertible: message = error.description
        default: message = String(describing: error)
        }
        FileHandle.standardError.write(Data("rapport: \(message.split(separator: "\n").first ?? "")\n".utf8))
        throw ExitCode.failure
    }
}

/// The runtime of a one-shot CLI command: the database of `--database` (or `DATABASE_URL`) with every other setting at
/// its default (so `SQLITE_SYNCHRONOUS` stays `full`), migrated; closed when `body` returns.
func withCommandRuntime(_ option: DatabaseOption, _ body: (Runtime) async throws -> Void) async throws {
    var config = AppConfig()
    config.database = try option.resolved()
    var logger = Logger(label: "rapport.cli")
    logger.logLevel = .warning
    try await Runtime.with(config, logger: logger, body)
}

/// Opens and migrates the database for a CLI command, then closes it.
func withMigratedDatabase(_ option: DatabaseOption, _ body: (AppServices) async throws -> Void) async throws {
    try await withCommandRuntime(option) { runtime in try await body(runtime.services) }
}

/// Reads and validates the whole configuration of a long-running command (`serve`, `worker`) and sends its logs to
/// stderr at the configured level.
func loadConfigurationAndLogging(overrides: [String: String]) async throws -> AppConfig {
    let config = try await AppConfig.load(overrides: overrides)
    LoggingSystem.bootstrap { label in
        var handler = LineLogHandler(label: label)
        handler.logLevel = config.logLevel
        return handler
    }
    return config
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations.")
    @OptionGroup var db: DatabaseOption

    func run() async throws {
        try await runReportingErrors {
            try await withCommandRuntime(db) { runtime in
                if runtime.appliedMigrations.isEmpty {
                    print("no pending migrations")
                } else {
                    for label in runtime.appliedMigrations { print("applied \(label)") }
                }
            }
        }
    }
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the version.")
    func run() { print("rapport \(RapportVersion.current)") }
}
