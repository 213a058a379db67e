import RapportCore
import SQLKit

struct SQLSurveyResponseRepository: SurveyResponseRepository {
    let db: any SQLDatabase

    static let columns = """
        workspace_id, id, survey_id, version, customer_id, invitation_id, channel, language, answers, score, band, \
        attributes, status, submitted_at, created_at, updated_at
        """

    func insert(_ response: SurveyResponse) async throws {
        try await db.raw("""
            INSERT INTO survey_responses (\(unsafeRaw: Self.columns))
            VALUES (\(bind: response.workspaceId), \(bind: response.id), \(bind: response.surveyId), \(bind: response.version),
                    \(bind: response.customerId), \(bind: response.invitationId), \(bind: response.channel),
                    \(bind: response.language), \(bind: JSONValue.object(response.answers).jsonText), \(bind: response.score),
                    \(bind: response.band?.rawValue), \(bind: Self.attributesText(response.attributes)),
                    \(bind: response.status.rawValue), \(bind: response.submittedAt), \(bind: response.createdAt),
                    \(bind: response.updatedAt))
            """).run()
    }

    func update(_ response: SurveyResponse) async throws {
        try await db.raw("""
            UPDATE survey_responses SET answers = \(bind: JSONValue.object(response.answers).jsonText),
                score = \(bind: response.score), band = \(bind: response.band?.rawValue), language = \(bind: response.language),
                status = \(bind: response.status.rawValue), submitted_at = \(bind: response.submittedAt),
                updated_at = \(bind: response.updatedAt)
            WHERE workspace_id = \(bind: response.workspaceId) AND id = \(bind: response.id)
            """).run()
    }

    func find(workspaceId: String, id: String) async throws -> SurveyResponse? {
        try await db.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM survey_responses WHERE workspace_id = \(bind: workspaceId) AND id = \(bind: id)
            """).first().map(Self.response)
    }

    func find(workspaceId: String, invitationId: String) async throws -> SurveyResponse? {
        try await db.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM survey_responses
            WHERE workspace_id = \(bind: workspaceId) AND invitation_id = \(bind: invitationId)
            """).first().map(Self.response)
    }

    func forCustomer(workspaceId: String, customerId: String) async throws -> [SurveyResponse] {
        try await db.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM survey_responses
            WHERE workspace_id = \(bind: workspaceId) AND customer_id = \(bind: customerId) ORDER BY id
            """).all().map(Self.response)
    }

    func list(workspaceId: String, _ query: SurveyResponseQuery, page: PageRequest) async throws -> Page<SurveyResponse> {
        var sql: SQLQueryString = """
            SELECT \(unsafeRaw: Self.columns) FROM survey_responses
            WHERE workspace_id = \(bind: workspaceId) AND survey_id = \(bind: query.surveyId)
            """
        if let customerId = query.customerId {
            sql.appendInterpolation(unsafeRaw: " AND customer_id = ")
            sql.appendInterpolation(bind: customerId)
        }
        if let band = query.band {
            sql.appendInterpolation(unsafeRaw: " AND band = ")
            sql.appendInterpolation(bind: band.rawValue)
        }
        if let status = query.status {
            sql.appendInterpolation(unsafeRaw: " AND status = ")
            sql.appendInterpolation(bind: status.rawValue)
        }
        return try await db.page(sql, column: "id", page: page, id: \.id, decode: Self.response)
    }

    static func attributesText(_ attributes: [String: String]) -> String {
        JSONValue.object(attributes.mapValues { .string($0) }).jsonText
    }

    static func response(_ row: any SQLRow) throws -> SurveyResponse {
        let rawStatus = try row.string("status")
        guard let status = SurveyResponse.Status(rawValue: rawStatus) else {
            throw CorruptRowError(table: "survey_responses", column: "status", value: rawStatus)
        }
        let rawAnswers = try row.string("answers")
        guard let answers = JSONValue.parse(rawAnswers)?.objectValue else {
            throw CorruptRowError(table: "survey_responses", column: "answers", value: String(rawAnswers.prefix(200)))
        }
        let attributes = JSONValue.parse(try row.string("attributes"))?.objectValue?.compactMapValues(\.stringValue) ?? [:]
        return SurveyResponse(
            id: try row.string("id"), workspaceId: try row.string("workspace_id"), surveyId: try row.string("survey_id"),
            version: try row.int("version"), customerId: try row.optionalString("customer_id"),
            invitationId: try row.optionalString("invitation_id"), channel: try row.string("channel"),
            language: try row.string("language"), answers: answers, score: try row.optionalInt64("score").map { Int($0) },
            band: try row.optionalString("band").flatMap(ScoreBand.init(rawValue:)), attributes: attributes, status: status,
            submittedAt: try row.optionalInt64("submitted_at"), createdAt: try row.int64("created_at"),
            updatedAt: try row.int64("updated_at"))
    }
}
