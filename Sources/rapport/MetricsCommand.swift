import ArgumentParser
import Foundation
import RapportCore
import RapportRuntime
import RapportStore

/// `rapport metrics rebuild`: brings what the metrics read up to date after rows were written around the API (a bulk
/// load straight into survey_responses, survey_invitations, customers, segment_members): rebuilds each workspace's
/// daily response counts (`metric_response_days`, docs/decisions.md "Responses are rolled up by local day") from its
/// responses, which the triggers keep for every write through SQL too but not for a zone changed around Rapport, and
/// refreshes the planner's statistics of the tables the counts read (PostgreSQL `ANALYZE`, SQLite `PRAGMA optimize`),
/// without which a freshly loaded table can get a poor plan.
struct MetricsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "metrics", abstract: "Maintain what the metrics read.",
                                                    subcommands: [Rebuild.self])

    struct Rebuild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild the metrics' derived data and statistics from the base tables; prints the seconds it took.")
        @Option(help: "Only this workspace's daily counts (statistics are per table).") var workspace: String?
        @OptionGroup var db: DatabaseOption

        static let tables = ["metric_response_days", "survey_responses", "survey_invitations", "segment_members", "customers", "email_outbox"]

        func run() async throws {
            try await runReportingErrors {
                // Opening the database already builds the counts of a workspace that has none (a bulk load with the
                // triggers idle); those are not built a second time, and their time is counted here.
                let started = Date()
                try await withMigratedDatabase(db) { services in
                    try await MetricRollups.rebuild(services.database, workspaceId: workspace, all: true,
                                                    builtSince: started.millisSince1970, now: Date().millisSince1970)
                    try await services.database.refreshStatistics(tables: Self.tables)
                    print(String(format: "rebuilt in %.3f s", Date().timeIntervalSince(started)))
                }
            }
        }
    }
}
