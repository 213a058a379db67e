import ArgumentParser
import Foundation
import Logging
import RapportCore
import RapportServer
import RapportStore

@main
struct Rapport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rapport",
        abstract: "Rapport: self-hosted customer experience management.",
        subcommands: [Serve.self, Migrate.self, WorkspaceCommand.self, UserCommand.self, ApiKeyCommand.self, ImportCommand.self,
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

/// Opens and migrates the database for a CLI command, then closes it.
func withMigratedDatabase(_ option: DatabaseOption, _ body: (AppServices) async throws -> Void) async throws {
    let url = try option.resolved()
    var logger = Logger(label: "rapport.cli")
    logger.logLevel = .warning
    let database = try await DatabaseClient.connect(url, logger: logger)
    do {
        try await Migrator(database: database).migrate()
        var config = AppConfig()
        config.database = url
        let services = try await makeServices(config: config, database: database)
        try await body(services)
        await database.shutdown()
    } catch {
        await database.shutdown()
        throw error
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations.")
    @OptionGroup var db: DatabaseOption

    func run() async throws {
        try await runReportingErrors {
            let url = try db.resolved()
            var logger = Logger(label: "rapport.cli")
            logger.logLevel = .warning
            let database = try await DatabaseClient.connect(url, logger: logger)
            defer { Task { await database.shutdown() } }
            let applied = try await Migrator(database: database).migrate()
            if applied.isEmpty {
                print("no pending migrations")
            } else {
                for label in applied { print("applied \(label)") }
            }
            await database.shutdown()
        }
    }
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the version.")
    func run() { print("rapport \(RapportVersion.current)") }
}
