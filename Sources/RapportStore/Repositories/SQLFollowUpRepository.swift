import RapportCore
import SQLKit

struct SQLFollowUpRepository: FollowUpRepository {
    let db: any SQLDatabase

    static let columns = """
        workspace_id, id, survey_id, response_id, customer_id, owner_id, status, outcome, score, band, due_at, created_at, \
        updated_at, closed_at, resurvey_invitation_id
        """
    static let noteColumns = "workspace_id, id, case_id, customer_id, author_id, author_label, text, created_at"

    func insert(_ followUp: FollowUpCase) async throws {
        try await db.raw("""
            INSERT INTO follow_up_cases (\(unsafeRaw: Self.columns), is_open)
            VALUES (\(bind: followUp.workspaceId), \(bind: followUp.id), \(bind: followUp.surveyId), \(bind: followUp.responseId),
                    \(bind: followUp.customerId), \(bind: followUp.ownerId), \(bind: followUp.status.rawValue),
                    \(bind: followUp.outcome), \(bind: followUp.score), \(bind: followUp.band?.rawValue), \(bind: followUp.dueAt),
                    \(bind: followUp.createdAt), \(bind: followUp.updatedAt), \(bind: followUp.closedAt),
                    \(bind: followUp.resurveyInvitationId), \(bind: followUp.status.isClosed ? 0 : 1))
            """).run()
    }

    func update(_ followUp: FollowUpCase) async throws {
        try await db.raw("""
            UPDATE follow_up_cases SET owner_id = \(bind: followUp.ownerId), status = \(bind: followUp.status.rawValue),
                is_open = \(bind: followUp.status.isClosed ? 0 : 1), outcome = \(bind: followUp.outcome),
                due_at = \(bind: followUp.dueAt), updated_at = \(bind: followUp.updatedAt), closed_at = \(bind: followUp.closedAt),
                resurvey_invitation_id = \(bind: followUp.resurveyInvitationId)
            WHERE workspace_id = \(bind: followUp.workspaceId) AND id = \(bind: followUp.id)
            """).run()
    }

    func find(workspaceId: String, id: String) async throws -> FollowUpCase? {
        try await db.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM follow_up_cases WHERE workspace_id = \(bind: workspaceId) AND id = \(bind: id)
            """).first().map(Self.followUp)
    }

    func find(workspaceId: String, responseId: String) async throws -> FollowUpCase? {
        try await db.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM follow_up_cases
            WHERE workspace_id = \(bind: workspaceId) AND response_id = \(bind: responseId)
            """).first().map(Self.followUp)
    }

    func list(workspaceId: String, _ query: FollowUpQuery, page: PageRequest) async throws -> Page<FollowUpCase> {
        var sql: SQLQueryString = """
            SELECT \(unsafeRaw: Self.columns) FROM follow_up_cases WHERE workspace_id = \(bind: workspaceId)
            """
        if let status = query.status {
            sql.appendInterpolation(unsafeRaw: " AND status = ")
            sql.appendInterpolation(bind: status.rawValue)
        }
        if let ownerId = query.ownerId {
            sql.appendInterpolation(unsafeRaw: " AND owner_id = ")
            sql.appendInterpolation(bind: ownerId)
        }
        if let ownerIds = query.ownerIds {
            if ownerIds.isEmpty {
                sql.appendInterpolation(unsafeRaw: " AND 1 = 0")
            } else {
                sql.appendInterpolation(unsafeRaw: " AND owner_id ")
                sql.appendInterpolation(isIn: ownerIds, postgres: db.isPostgres)
            }
        }
        if let surveyId = query.surveyId {
            sql.appendInterpolation(unsafeRaw: " AND survey_id = ")
            sql.appendInterpolation(bind: surveyId)
        }
        if let customerId = query.customerId {
            sql.appendInterpolation(unsafeRaw: " AND customer_id = ")
            sql.appendInterpolation(bind: customerId)
        }
        if let dueBefore = query.dueBefore {
            sql.appendInterpolation(unsafeRaw: " AND is_open = 1 AND due_at < ")
            sql.appendInterpolation(bind: dueBefore)
        }
        // Keyset on (is_open DESC, due_at, id): the cursor names the last case shown.
        if let after = page.after,
           let last = try await db.raw("""
               SELECT is_open, due_at FROM follow_up_cases WHERE workspace_id = \(bind: workspaceId) AND id = \(bind: after)
               """).first() {
            let open = try last.int64("is_open"), due = try last.int64("due_at")
            sql.appendInterpolation(unsafeRaw: " AND (is_open < ")
            sql.appendInterpolation(bind: open)
            sql.appendInterpolation(unsafeRaw: " OR (is_open = ")
            sql.appendInterpolation(bind: open)
            sql.appendInterpolation(unsafeRaw: " AND (due_at > ")
            sql.appendInterpolation(bind: due)
            sql.appendInterpolation(unsafeRaw: " OR (due_at = ")
            sql.appendInterpolation(bind: due)
            sql.appendInterpolation(unsafeRaw: " AND id > ")
            sql.appendInterpolation(bind: after)
            sql.appendInterpolation(unsafeRaw: "))))")
        }
        sql.appendInterpolation(unsafeRaw: " ORDER BY is_open DESC, due_at, id LIMIT \(page.limit + 1)")
        return Page(fetched: try await db.raw(sql).all().map(Self.followUp), limit: page.limit, id: \.id)
    }

    func insertNote(_ note: FollowUpNote) async throws {
        try await db.raw("""
            INSERT INTO follow_up_notes (\(unsafeRaw: Self.noteColumns))
            VALUES (\(bind: note.workspaceId), \(bind: note.id), \(bind: note.caseId), \(bind: note.customerId),
                    \(bind: note.authorId), \(bind: note.authorLabel), \(bind: note.text), \(bind: note.createdAt))
            """).run()
    }

    func notes(workspaceId: String, caseId: String) async throws -> [FollowUpNote] {
        try await db.raw("""
            SELECT \(unsafeRaw: Self.noteColumns) FROM follow_up_notes
            WHERE workspace_id = \(bind: workspaceId) AND case_id = \(bind: caseId) ORDER BY id
            """).all().map(Self.note)
    }

    func forCustomer(workspaceId: String, customerId: String) async throws -> [FollowUpCase] {
        try await db.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM follow_up_cases
            WHERE workspace_id = \(bind: workspaceId) AND customer_id = \(bind: customerId) ORDER BY id
            """).all().map(Self.followUp)
    }

    func closeStats(workspaceId: String, surveyId: String) async throws -> FollowUpCloseStats {
        let opened = try await db.raw("""
            SELECT COUNT(*) AS n FROM follow_up_cases WHERE workspace_id = \(bind: workspaceId) AND survey_id = \(bind: surveyId)
            """).first()?.int("n") ?? 0
        let closed = try await db.raw("""
            SELECT created_at, due_at, closed_at FROM follow_up_cases
            WHERE workspace_id = \(bind: workspaceId) AND survey_id = \(bind: surveyId) AND closed_at IS NOT NULL
            """).all().map { row in
                (createdAt: try row.int64("created_at"), dueAt: try row.int64("due_at"), closedAt: try row.int64("closed_at"))
            }
        return FollowUpCloseStats.compute(surveyId: surveyId, opened: opened, closedCases: closed)
    }

    func metricRows(workspaceId: String, surveyIds: [String], from: Int64, to: Int64) async throws -> [FollowUpMetricRow] {
        guard !surveyIds.isEmpty else { return [] }
        var sql: SQLQueryString = """
            SELECT c.survey_id, c.customer_id, c.owner_id, c.created_at, c.closed_at, r.channel, r.attributes FROM follow_up_cases c
            LEFT JOIN survey_responses r ON r.workspace_id = c.workspace_id AND r.id = c.response_id
            WHERE c.workspace_id = \(bind: workspaceId) AND c.created_at >= \(bind: from) AND c.created_at < \(bind: to)
              AND c.survey_id\(unsafeRaw: " ")
            """
        sql.appendInterpolation(isIn: surveyIds, postgres: db.isPostgres)
        return try await db.raw(sql).all().map { row in
            let attributes = try row.optionalString("attributes").flatMap { JSONValue.parse($0)?.objectValue?.compactMapValues(\.stringValue) } ?? [:]
            return FollowUpMetricRow(surveyId: try row.string("survey_id"), customerId: try row.optionalString("customer_id"),
                                     ownerId: try row.optionalString("owner_id"), openedAt: try row.int64("created_at"),
                                     closedAt: try row.optionalInt64("closed_at"), channel: try row.optionalString("channel"),
                                     attributes: attributes)
        }
    }

    static func followUp(_ row: any SQLRow) throws -> FollowUpCase {
        let rawStatus = try row.string("status")
        guard let status = FollowUpStatus(rawValue: rawStatus) else {
            throw CorruptRowError(table: "follow_up_cases", column: "status", value: rawStatus)
        }
        return FollowUpCase(
            id: try row.string("id"), workspaceId: try row.string("workspace_id"), surveyId: try row.string("survey_id"),
            responseId: try row.string("response_id"), customerId: try row.optionalString("customer_id"),
            ownerId: try row.optionalString("owner_id"), status: status, outcome: try row.optionalString("outcome"),
            score: try row.optionalInt64("score").map { Int($0) },
            band: try row.optionalString("band").flatMap(ScoreBand.init(rawValue:)), dueAt: try row.int64("due_at"),
            createdAt: try row.int64("created_at"), updatedAt: try row.int64("updated_at"),
            closedAt: try row.optionalInt64("closed_at"), resurveyInvitationId: try row.optionalString("resurvey_invitation_id"))
    }

    static func note(_ row: any SQLRow) throws -> FollowUpNote {
        FollowUpNote(id: try row.string("id"), workspaceId: try row.string("workspace_id"), caseId: try row.string("case_id"),
                     customerId: try row.optionalString("customer_id"), authorId: try row.string("author_id"),
                     authorLabel: try row.string("author_label"), text: try row.string("text"),
                     createdAt: try row.int64("created_at"))
    }
}
