import ArgumentParser
import Foundation
import RapportCore
import RapportRuntime
import RapportStore

/// `rapport metrics rebuild`: brings what the metrics read up to date after rows were written around the API (a bulk
/// load straight into survey_responses, survey_invitations, customers, segment_members). The metrics are counted
/// from the base tables themselves (docs/decisions.md, "Metrics computed in the database"), so today this refreshes
/// the planner's statistics of those tables (PostgreSQL `ANALYZE`, SQLite `PRAGMA optimize`), without which a
/// freshly loaded table can get a poor plan; derived metric data, if it comes, is rebuilt here too.
struct MetricsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "metrics", abstract: "Maintain what the metrics read.",
                                                    subcommands: [Rebuild.self])

    struct Rebuild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild the metrics' derived data and statistics from the base tables; prints the seconds it took.")
        @Option(help: "Only this workspace (statistics are per table; accepted for the derived data to come).") var workspace: String?
        @OptionGroup var db: DatabaseOption

        static let tables = ["survey_responses", "survey_invitations", "segment_members", "customers", "email_outbox"]

        func run() async throws {
            try await runReportingErrors {
                try await withMigratedDatabase(db) { services in
                    let started = Date()
                    try await services.database.refreshStatistics(tables: Self.tables)
                    print(String(format: "rebuilt in %.3f s", Date().timeIntervalSince(started)))
                }
            }
        }
    }
}
