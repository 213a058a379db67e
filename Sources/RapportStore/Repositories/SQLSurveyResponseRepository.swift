import Foundation
import RapportCore
import SQLKit

struct SQLSurveyResponseRepository: SurveyResponseRepository {
    let db: any SQLDatabase

    static let columns = """
        workspace_id, id, survey_id, version, customer_id, invitation_id, channel, language, answers, score, band, \
        attributes, status, submitted_at, created_at, updated_at, external_id
        """

    func insert(_ response: SurveyResponse) async throws {
        try await db.raw("""
            INSERT INTO survey_responses (\(unsafeRaw: Self.columns))
            VALUES (\(bind: response.workspaceId), \(bind: response.id), \(bind: response.surveyId), \(bind: response.version),
                    \(bind: response.customerId), \(bind: response.invitationId), \(bind: response.channel),
                    \(bind: response.language), \(bind: JSONValue.object(response.answers).jsonText), \(bind: response.score),
                    \(bind: response.band?.rawValue), \(bind: Self.attributesText(response.attributes)),
                    \(bind: response.status.rawValue), \(bind: response.submittedAt), \(bind: response.createdAt),
                    \(bind: response.updatedAt), \(bind: response.externalId))
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
        Self.appendListFilters(query, to: &sql, postgres: db.isPostgres)
        return try await db.page(sql, column: "id", page: page, id: \.id, decode: Self.response)
    }

    func count(workspaceId: String, _ query: SurveyResponseQuery) async throws -> Int {
        var sql: SQLQueryString = """
            SELECT COUNT(*) AS n FROM survey_responses
            WHERE workspace_id = \(bind: workspaceId) AND survey_id = \(bind: query.surveyId)
            """
        Self.appendListFilters(query, to: &sql, postgres: db.isPostgres)
        return try await db.raw(sql).first()?.decode(column: "n", as: Int.self) ?? 0
    }

    /// The list's filters after the workspace and survey: customer, band, status, then `appendFilters`.
    static func appendListFilters(_ query: SurveyResponseQuery, to sql: inout SQLQueryString, postgres: Bool) {
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
        appendFilters(query, to: &sql, postgres: postgres)
    }

    /// The list's and export's other filters. Attributes are read as the metrics read them (`MetricCountSQL`);
    /// answers are JSON text: read with `json_each` on SQLite and `::jsonb` on PostgreSQL. `q` matches string answers
    /// of the text questions only (not option ids); SQLite's LOWER folds ASCII letters only.
    static func appendFilters(_ query: SurveyResponseQuery, to sql: inout SQLQueryString, postgres: Bool) {
        if let from = query.submittedFrom {
            sql.appendInterpolation(unsafeRaw: " AND submitted_at >= ")
            sql.appendInterpolation(bind: from)
        }
        if let before = query.submittedBefore {
            sql.appendInterpolation(unsafeRaw: " AND submitted_at < ")
            sql.appendInterpolation(bind: before)
        }
        if let channel = query.channel {
            sql.appendInterpolation(unsafeRaw: " AND channel = ")
            sql.appendInterpolation(bind: channel)
        }
        // Trigger attributes as the metrics read them, strings only, on both databases (the responses behind a metric's
        // group are the ones it counted): the generated columns for agent and touchpoint, else a bound JSON path (the
        // names are identifiers, checked where the query is parsed).
        var attributes = query.attributes
        if let agent = query.agent { attributes["agent"] = agent }
        for (name, value) in attributes.sorted(by: { $0.key < $1.key }) {
            sql.appendInterpolation(unsafeRaw: " AND ")
            MetricCountSQL.appendAttribute(name, table: "survey_responses", to: &sql, postgres: postgres)
            sql.appendInterpolation(unsafeRaw: " = ")
            sql.appendInterpolation(bind: value)
        }
        if query.scoredOnly { sql.appendInterpolation(unsafeRaw: " AND score IS NOT NULL") }
        if let segmentId = query.segmentId {
            sql.appendInterpolation(unsafeRaw: " AND customer_id IN (SELECT m.customer_id FROM segment_members m"
                + " WHERE m.workspace_id = survey_responses.workspace_id AND m.segment_id = ")
            sql.appendInterpolation(bind: segmentId)
            sql.appendInterpolation(unsafeRaw: ")")
        }
        if let text = query.text {
            guard !query.textQuestionIds.isEmpty else {
                sql.appendInterpolation(unsafeRaw: " AND 1 = 0")  // no text question: nothing can contain it
                return
            }
            let pattern = "%" + text.lowercased().replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
            sql.appendInterpolation(unsafeRaw: postgres
                ? " AND EXISTS (SELECT 1 FROM jsonb_each(survey_responses.answers::jsonb) a WHERE jsonb_typeof(a.value) = 'string' AND a.key "
                : " AND EXISTS (SELECT 1 FROM json_each(survey_responses.answers) a WHERE a.type = 'text' AND a.key ")
            sql.appendInterpolation(isIn: query.textQuestionIds, postgres: postgres)
            sql.appendInterpolation(unsafeRaw: postgres ? " AND LOWER(a.value #>> '{}') LIKE " : " AND LOWER(a.value) LIKE ")
            sql.appendInterpolation(bind: pattern)
            sql.appendInterpolation(unsafeRaw: " ESCAPE '\\')")
        }
    }

    func id(workspaceId: String, surveyId: String, externalId: String) async throws -> String? {
        try await db.raw(Self.externalIdQuery(workspaceId: workspaceId, surveyId: surveyId, externalId: externalId))
            .first()?.decode(column: "id", as: String.self)
    }

    func id(workspaceId: String, surveyId: String, customerId: String, submittedAt: Int64) async throws -> String? {
        try await db.raw(Self.sameInstantQuery(workspaceId: workspaceId, surveyId: surveyId, customerId: customerId,
                                               submittedAt: submittedAt))
            .first()?.decode(column: "id", as: String.self)
    }

    /// An import's check for a row's `response_id`, once a row: the unique external-id index.
    static func externalIdQuery(workspaceId: String, surveyId: String, externalId: String) -> SQLQueryString {
        """
        SELECT id FROM survey_responses
        WHERE workspace_id = \(bind: workspaceId) AND survey_id = \(bind: surveyId) AND external_id = \(bind: externalId)
        """
    }

    /// An import's check for a row without `response_id`, once a row: the customer's responses (a few), by the
    /// by-customer index.
    static func sameInstantQuery(workspaceId: String, surveyId: String, customerId: String, submittedAt: Int64) -> SQLQueryString {
        """
        SELECT id FROM survey_responses
        WHERE workspace_id = \(bind: workspaceId) AND customer_id = \(bind: customerId) AND survey_id = \(bind: surveyId)
          AND submitted_at = \(bind: submittedAt)
        LIMIT 1
        """
    }

    func emails(workspaceId: String, customerIds: [String]) async throws -> [String: String] {
        guard !customerIds.isEmpty else { return [:] }
        var sql: SQLQueryString = """
            SELECT c.id, COALESCE(c.email, (SELECT MIN(i.value) FROM customer_identifiers i
                WHERE i.workspace_id = c.workspace_id AND i.customer_id = c.id AND i.kind = 'email')) AS email
            FROM customers c WHERE c.workspace_id = \(bind: workspaceId) AND c.id
            """
        sql.appendInterpolation(unsafeRaw: " ")
        sql.appendInterpolation(isIn: customerIds, postgres: db.isPostgres)
        var emails: [String: String] = [:]
        for row in try await db.raw(sql).all() {
            if let email = try row.optionalString("email") { emails[try row.string("id")] = email }
        }
        return emails
    }

    static func attributesText(_ attributes: [String: String]) -> String {
        JSONValue.object(attributes.mapValues { .string($0) }).jsonText
    }

    func metricRows(workspaceId: String, surveyIds: [String], from: Int64, to: Int64, withAnswers: Bool) async throws -> [SurveyMetricRow] {
        guard !surveyIds.isEmpty else { return [] }
        var sql: SQLQueryString = """
            SELECT survey_id, customer_id, submitted_at, score, band, channel, attributes\(unsafeRaw: withAnswers ? ", answers" : "")
            FROM survey_responses
            WHERE workspace_id = \(bind: workspaceId) AND status = \(bind: SurveyResponse.Status.completed.rawValue)
              AND \(unsafeRaw: withAnswers ? "" : "score IS NOT NULL AND ")submitted_at >= \(bind: from) AND submitted_at < \(bind: to)
            """
        sql.appendInterpolation(unsafeRaw: " AND survey_id ")
        sql.appendInterpolation(isIn: surveyIds, postgres: db.isPostgres)
        return try await db.raw(sql).all().map { row in
            let attributes = JSONValue.parse(try row.string("attributes"))?.objectValue?.compactMapValues(\.stringValue) ?? [:]
            let answers = withAnswers ? JSONValue.parse(try row.string("answers"))?.objectValue ?? [:] : [:]
            return SurveyMetricRow(surveyId: try row.string("survey_id"), customerId: try row.optionalString("customer_id"),
                                   submittedAt: try row.int64("submitted_at"), score: try row.optionalInt64("score").map { Int($0) },
                                   band: try row.optionalString("band").flatMap(ScoreBand.init(rawValue:)),
                                   channel: try row.string("channel"), attributes: attributes, answers: answers)
        }
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
            updatedAt: try row.int64("updated_at"), externalId: try row.optionalString("external_id"))
    }
}
