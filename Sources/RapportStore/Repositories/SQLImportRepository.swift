import RapportCore
import SQLKit

struct SQLImportRepository: ImportRepository {
    let db: any SQLDatabase

    static let columns = """
        workspace_id, id, kind, status, rows_read, rows_imported, rows_rejected, rejections, failure, created_by, created_at, finished_at
        """

    func insert(_ job: ImportJob) async throws {
        try await db.raw("""
            INSERT INTO imports (\(unsafeRaw: Self.columns))
            VALUES (\(bind: job.workspaceId), \(bind: job.id), \(bind: job.kind.rawValue), \(bind: job.status.rawValue),
                    \(bind: job.rowsRead), \(bind: job.rowsImported), \(bind: job.rowsRejected),
                    \(bind: Self.rejectionsText(job.rejections)), \(bind: job.failure), \(bind: job.createdBy),
                    \(bind: job.createdAt), \(bind: job.finishedAt))
            """).run()
    }

    func update(_ job: ImportJob) async throws {
        try await db.raw("""
            UPDATE imports SET status = \(bind: job.status.rawValue), rows_read = \(bind: job.rowsRead),
                rows_imported = \(bind: job.rowsImported), rows_rejected = \(bind: job.rowsRejected),
                rejections = \(bind: Self.rejectionsText(job.rejections)), failure = \(bind: job.failure),
                finished_at = \(bind: job.finishedAt)
            WHERE workspace_id = \(bind: job.workspaceId) AND id = \(bind: job.id)
            """).run()
    }

    func find(workspaceId: String, id: String) async throws -> ImportJob? {
        try await db.raw("SELECT \(unsafeRaw: Self.columns) FROM imports WHERE workspace_id = \(bind: workspaceId) AND id = \(bind: id)")
            .first().map(Self.job)
    }

    func list(workspaceId: String, page: PageRequest) async throws -> Page<ImportJob> {
        try await db.page("SELECT \(unsafeRaw: Self.columns) FROM imports WHERE workspace_id = \(bind: workspaceId)",
                          column: "id", page: page, id: \.id, decode: Self.job)
    }

    static func rejectionsText(_ rejections: [ImportRejection]) -> String {
        JSONValue.array(rejections.map { ["row": JSONValue($0.row), "reason": .string($0.reason), "field": JSONValue($0.field)] }).jsonText
    }

    static func job(_ row: any SQLRow) throws -> ImportJob {
        let rejections = (JSONValue.parse(try row.string("rejections"))?.arrayValue ?? []).map { value in
            ImportRejection(row: Int(value["row"]?.numberValue ?? 0), reason: value["reason"]?.stringValue ?? "",
                            field: value["field"]?.stringValue)
        }
        return ImportJob(id: try row.string("id"), workspaceId: try row.string("workspace_id"),
                         kind: ImportJob.Kind(rawValue: try row.string("kind")) ?? .customers,
                         status: ImportJob.Status(rawValue: try row.string("status")) ?? .failed,
                         rowsRead: try row.int("rows_read"), rowsImported: try row.int("rows_imported"),
                         rowsRejected: try row.int("rows_rejected"), rejections: rejections,
                         failure: try row.optionalString("failure"), createdBy: try row.optionalString("created_by"),
                         createdAt: try row.int64("created_at"), finishedAt: try row.optionalInt64("finished_at"))
    }
}

