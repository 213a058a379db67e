import RapportCore
import SQLKit

struct SQLSurveyRepository: SurveyRepository {
    let db: any SQLDatabase

    /// A survey with its current version's definition and publication.
    static let select = """
        SELECT s.workspace_id, s.id, s.name, s.status, s.version, s.settings, s.created_by, s.created_at, s.updated_at,
            v.definition, v.published
        FROM surveys s JOIN survey_versions v
            ON v.workspace_id = s.workspace_id AND v.survey_id = s.id AND v.version = s.version
        """

    func insert(_ survey: Survey) async throws {
        try await db.raw("""
            INSERT INTO surveys (workspace_id, id, name, status, version, settings, created_by, created_at, updated_at)
            VALUES (\(bind: survey.workspaceId), \(bind: survey.id), \(bind: survey.name), \(bind: survey.status.rawValue),
                    \(bind: survey.version), \(bind: survey.settings.json.jsonText), \(bind: survey.createdBy),
                    \(bind: survey.createdAt), \(bind: survey.updatedAt))
            """).run()
        try await insertVersion(workspaceId: survey.workspaceId, SurveyVersion(
            surveyId: survey.id, version: survey.version, definition: survey.definition, published: survey.published,
            createdAt: survey.createdAt))
    }

    func update(_ survey: Survey) async throws {
        try await db.raw("""
            UPDATE surveys SET name = \(bind: survey.name), status = \(bind: survey.status.rawValue),
                version = \(bind: survey.version), settings = \(bind: survey.settings.json.jsonText),
                updated_at = \(bind: survey.updatedAt)
            WHERE workspace_id = \(bind: survey.workspaceId) AND id = \(bind: survey.id)
            """).run()
    }

    func insertVersion(workspaceId: String, _ version: SurveyVersion) async throws {
        try await db.raw("""
            INSERT INTO survey_versions (workspace_id, survey_id, version, definition, published, created_at)
            VALUES (\(bind: workspaceId), \(bind: version.surveyId), \(bind: version.version),
                    \(bind: version.definition.json.jsonText), \(bind: version.published ? 1 : 0), \(bind: version.createdAt))
            """).run()
    }

    func updateVersion(workspaceId: String, _ version: SurveyVersion) async throws {
        try await db.raw("""
            UPDATE survey_versions SET definition = \(bind: version.definition.json.jsonText)
            WHERE workspace_id = \(bind: workspaceId) AND survey_id = \(bind: version.surveyId) AND version = \(bind: version.version)
            """).run()
    }

    func publish(workspaceId: String, surveyId: String, version: Int) async throws {
        try await db.raw("""
            UPDATE survey_versions SET published = 1
            WHERE workspace_id = \(bind: workspaceId) AND survey_id = \(bind: surveyId) AND version = \(bind: version)
                AND published = 0
            """).run()
    }

    func find(workspaceId: String, id: String) async throws -> Survey? {
        try await db.raw("""
            \(unsafeRaw: Self.select) WHERE s.workspace_id = \(bind: workspaceId) AND s.id = \(bind: id)
            """).first().map(Self.survey)
    }

    func version(workspaceId: String, surveyId: String, version: Int) async throws -> SurveyVersion? {
        guard let row = try await db.raw("""
            SELECT survey_id, version, definition, published, created_at FROM survey_versions
            WHERE workspace_id = \(bind: workspaceId) AND survey_id = \(bind: surveyId) AND version = \(bind: version)
            """).first() else { return nil }
        return SurveyVersion(surveyId: try row.string("survey_id"), version: try row.int("version"),
                             definition: try Self.definition(row), published: try row.int64("published") != 0,
                             createdAt: try row.int64("created_at"))
    }

    func list(workspaceId: String, status: SurveyStatus?, page: PageRequest) async throws -> Page<Survey> {
        var sql: SQLQueryString = "\(unsafeRaw: Self.select) WHERE s.workspace_id = \(bind: workspaceId)"
        if let status { sql.appendInterpolation(unsafeRaw: " AND s.status = "); sql.appendInterpolation(bind: status.rawValue) }
        return try await db.page(sql, column: "s.id", page: page, id: \.id, decode: Self.survey)
    }

    func delete(workspaceId: String, id: String) async throws {
        try await db.raw("DELETE FROM survey_versions WHERE workspace_id = \(bind: workspaceId) AND survey_id = \(bind: id)").run()
        try await db.raw("DELETE FROM surveys WHERE workspace_id = \(bind: workspaceId) AND id = \(bind: id)").run()
    }

    static func definition(_ row: any SQLRow) throws -> SurveyDefinition {
        let raw = try row.string("definition")
        guard let json = JSONValue.parse(raw),
              let definition = try? SurveyDefinition.parse(languages: json["languages"], questions: json["questions"]) else {
            throw CorruptRowError(table: "survey_versions", column: "definition", value: String(raw.prefix(200)))
        }
        return definition
    }

    static func survey(_ row: any SQLRow) throws -> Survey {
        let rawStatus = try row.string("status")
        guard let status = SurveyStatus(rawValue: rawStatus) else {
            throw CorruptRowError(table: "surveys", column: "status", value: rawStatus)
        }
        return Survey(
            id: try row.string("id"), workspaceId: try row.string("workspace_id"), name: try row.string("name"), status: status,
            version: try row.int("version"), definition: try definition(row), published: try row.int64("published") != 0,
            settings: SurveySettings.parse(stored: JSONValue.parse(try row.string("settings")) ?? [:]),
            createdBy: try row.optionalString("created_by"), createdAt: try row.int64("created_at"),
            updatedAt: try row.int64("updated_at"))
    }
}
