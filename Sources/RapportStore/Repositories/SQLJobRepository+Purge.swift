import RapportCore
import SQLKit

extension SQLJobRepository {
    /// Deletes by the `jobs_finished` index (state, finished_at), `limit` at a time.
    func purgeFinished(states: [JobState], before: Int64, limit: Int) async throws -> Int {
        guard !states.isEmpty else { return 0 }
        // The states are the enum's own names, never input.
        let list = states.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        return try await db.raw("""
            DELETE FROM jobs WHERE id IN (
                SELECT id FROM jobs WHERE state IN (\(unsafeRaw: list)) AND finished_at < \(bind: before) LIMIT \(bind: limit))
            RETURNING id
            """).all().count
    }
}
