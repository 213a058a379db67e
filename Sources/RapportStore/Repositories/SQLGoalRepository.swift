import RapportCore
import SQLKit

struct SQLGoalRepository: CXGoalRepository {
    let db: any SQLDatabase

    func insert(_ goal: CXGoal) async throws {
        try await db.raw("""
            INSERT INTO cx_goals (workspace_id, id, name, metric, target, due_date, survey_id, segment_id, window_days,
                                  created_by, created_at, updated_at)
            VALUES (\(bind: goal.workspaceId), \(bind: goal.id), \(bind: goal.name), \(bind: goal.metric.rawValue),
                    \(bind: goal.target), \(bind: goal.dueDate), \(bind: goal.surveyId), \(bind: goal.segmentId),
                    \(bind: goal.windowDays), \(bind: goal.createdBy), \(bind: goal.createdAt), \(bind: goal.updatedAt))
            """).run()
    }

    func update(_ goal: CXGoal) async throws {
        try await db.raw("""
            UPDATE cx_goals SET name = \(bind: goal.name), metric = \(bind: goal.metric.rawValue), target = \(bind: goal.target),
                due_date = \(bind: goal.dueDate), survey_id = \(bind: goal.surveyId), segment_id = \(bind: goal.segmentId),
                window_days = \(bind: goal.windowDays), updated_at = \(bind: goal.updatedAt)
            WHERE workspace_id = \(bind: goal.workspaceId) AND id = \(bind: goal.id)
            """).run()
    }

    func delete(workspaceId: String, id: String) async throws {
        try await db.raw("DELETE FROM cx_goals WHERE workspace_id = \(bind: workspaceId) AND id = \(bind: id)").run()
    }

    func find(workspaceId: String, id: String) async throws -> CXGoal? {
        try await db.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM cx_goals WHERE workspace_id = \(bind: workspaceId) AND id = \(bind: id)
            """).all().map(Self.goal).first
    }

    func list(workspaceId: String) async throws -> [CXGoal] {
        try await db.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM cx_goals WHERE workspace_id = \(bind: workspaceId) ORDER BY due_date, name, id
            """).all().map(Self.goal)
    }

    static let columns = "workspace_id, id, name, metric, target, due_date, survey_id, segment_id, window_days, created_by, created_at, updated_at"

    static func goal(_ row: any SQLRow) throws -> CXGoal {
        let metricName = try row.string("metric")
        guard let metric = SurveyMetric(rawValue: metricName) else { throw CorruptRowError(table: "cx_goals", column: "metric", value: metricName) }
        return CXGoal(id: try row.string("id"), workspaceId: try row.string("workspace_id"), name: try row.string("name"),
                      metric: metric, target: try row.decode(column: "target", as: Double.self), dueDate: try row.string("due_date"),
                      surveyId: try row.optionalString("survey_id"), segmentId: try row.optionalString("segment_id"),
                      windowDays: try row.int("window_days"), createdBy: try row.optionalString("created_by"),
                      createdAt: try row.int64("created_at"), updatedAt: try row.int64("updated_at"))
    }
}
