import RapportCore
import SQLKit

struct SQLSurveyLinkRepository: SurveyLinkRepository {
    let db: any SQLDatabase

    static let columns = "workspace_id, survey_id, id, created_by, created_at"

    func current(workspaceId: String, surveyId: String) async throws -> SurveyLink? {
        try await db.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM survey_links
            WHERE workspace_id = \(bind: workspaceId) AND survey_id = \(bind: surveyId)
            """).first().map(Self.link)
    }

    func replace(_ link: SurveyLink, tokenHash: String) async throws {
        try await db.raw("""
            INSERT INTO survey_links (workspace_id, survey_id, id, token_hash, created_by, created_at)
            VALUES (\(bind: link.workspaceId), \(bind: link.surveyId), \(bind: link.id), \(bind: tokenHash), \(bind: link.createdBy),
                    \(bind: link.createdAt))
            ON CONFLICT (workspace_id, survey_id) DO UPDATE SET id = excluded.id, token_hash = excluded.token_hash,
                created_by = excluded.created_by, created_at = excluded.created_at
            """).run()
    }

    func remove(workspaceId: String, surveyId: String) async throws -> Bool {
        try await db.raw("""
            DELETE FROM survey_links WHERE workspace_id = \(bind: workspaceId) AND survey_id = \(bind: surveyId) RETURNING id
            """).first() != nil
    }

    func find(tokenHash: String) async throws -> SurveyLink? {
        try await db.raw("SELECT \(unsafeRaw: Self.columns) FROM survey_links WHERE token_hash = \(bind: tokenHash)").first().map(Self.link)
    }

    func claimResume(hash: String, link: SurveyLink, responseId: String, at: Int64) async throws -> Bool {
        try await db.raw("""
            INSERT INTO survey_link_responses (resume_hash, workspace_id, survey_id, link_id, response_id, created_at)
            VALUES (\(bind: hash), \(bind: link.workspaceId), \(bind: link.surveyId), \(bind: link.id), \(bind: responseId), \(bind: at))
            ON CONFLICT (resume_hash) DO NOTHING RETURNING resume_hash
            """).first() != nil
    }

    func responseId(resumeHash: String, link: SurveyLink) async throws -> String? {
        try await db.raw("""
            SELECT response_id FROM survey_link_responses
            WHERE resume_hash = \(bind: resumeHash) AND workspace_id = \(bind: link.workspaceId) AND link_id = \(bind: link.id)
            """).first()?.string("response_id")
    }

    func counts(workspaceId: String, surveyId: String) async throws -> (partial: Int, completed: Int) {
        let rows = try await db.raw("""
            SELECT r.status, COUNT(*) AS n FROM survey_link_responses l
            JOIN survey_responses r ON r.workspace_id = l.workspace_id AND r.id = l.response_id
            WHERE l.workspace_id = \(bind: workspaceId) AND l.survey_id = \(bind: surveyId)
            GROUP BY r.status
            """).all()
        var counts = (partial: 0, completed: 0)
        for row in rows {
            switch try row.string("status") {
            case SurveyResponse.Status.partial.rawValue: counts.partial = try row.int("n")
            case SurveyResponse.Status.completed.rawValue: counts.completed = try row.int("n")
            default: break
            }
        }
        return counts
    }

    static func link(_ row: any SQLRow) throws -> SurveyLink {
        SurveyLink(id: try row.string("id"), workspaceId: try row.string("workspace_id"), surveyId: try row.string("survey_id"),
                   createdBy: try row.optionalString("created_by"), createdAt: try row.int64("created_at"))
    }
}
