import Foundation
import RapportCore
import SQLKit

struct SQLImportRepository: ImportRepository {
    let db: any SQLDatabase

    static let columns = """
        workspace_id, id, kind, status, rows_read, rows_imported, rows_rejected, rejections, failure, last_row, created_by, \
        created_at, finished_at, survey_id
        """

    func insert(_ job: ImportJob) async throws {
        try await db.raw("""
            INSERT INTO imports (\(unsafeRaw: Self.columns))
            VALUES (\(bind: job.workspaceId), \(bind: job.id), \(bind: job.kind.rawValue), \(bind: job.status.rawValue),
                    \(bind: job.rowsRead), \(bind: job.rowsImported), \(bind: job.rowsRejected),
                    \(bind: Self.rejectionsText(job.rejections)), \(bind: job.failure), \(bind: job.lastRow),
                    \(bind: job.createdBy), \(bind: job.createdAt), \(bind: job.finishedAt), \(bind: job.surveyId))
            """).run()
    }

    func update(_ job: ImportJob) async throws {
        try await db.raw(Self.updateQuery(job)).run()
    }

    func update(_ job: ImportJob, from previous: ImportJob) async throws -> Bool {
        var sql = Self.updateQuery(job)
        sql.appendInterpolation(unsafeRaw: " AND status = ")
        sql.appendInterpolation(bind: previous.status.rawValue)
        sql.appendInterpolation(unsafeRaw: " AND last_row = ")
        sql.appendInterpolation(bind: previous.lastRow)
        sql.appendInterpolation(unsafeRaw: " RETURNING id")
        return try await db.raw(sql).first() != nil
    }

    static func updateQuery(_ job: ImportJob) -> SQLQueryString {
        """
        UPDATE imports SET status = \(bind: job.status.rawValue), rows_read = \(bind: job.rowsRead),
            rows_imported = \(bind: job.rowsImported), rows_rejected = \(bind: job.rowsRejected),
            rejections = \(bind: Self.rejectionsText(job.rejections)), failure = \(bind: job.failure),
            last_row = \(bind: job.lastRow), finished_at = \(bind: job.finishedAt)
        WHERE workspace_id = \(bind: job.workspaceId) AND id = \(bind: job.id)
        """
    }

    func insertChunk(workspaceId: String, importId: String, sequence: Int, bytes: [UInt8], at: Int64) async throws {
        try await db.raw("""
            INSERT INTO import_chunks (workspace_id, import_id, sequence, bytes, created_at)
            VALUES (\(bind: workspaceId), \(bind: importId), \(bind: sequence), \(bind: Data(bytes)), \(bind: at))
            """).run()
    }

    func chunk(workspaceId: String, importId: String, sequence: Int) async throws -> [UInt8]? {
        try await db.raw("""
            SELECT bytes FROM import_chunks
            WHERE workspace_id = \(bind: workspaceId) AND import_id = \(bind: importId) AND sequence = \(bind: sequence)
            """).first().map { [UInt8](try $0.decode(column: "bytes", as: Data.self)) }
    }

    func deleteChunks(workspaceId: String, importId: String) async throws {
        try await db.raw("""
            DELETE FROM import_chunks WHERE workspace_id = \(bind: workspaceId) AND import_id = \(bind: importId)
            """).run()
    }

    func abandonedUploads(before: Int64, limit: Int) async throws -> [ImportJob] {
        try await db.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM imports
            WHERE status = 'uploading' AND created_at < \(bind: before)
              AND NOT EXISTS (SELECT 1 FROM import_chunks c WHERE c.workspace_id = imports.workspace_id
                              AND c.import_id = imports.id AND c.created_at >= \(bind: before))
            ORDER BY created_at LIMIT \(unsafeRaw: String(max(1, limit)))
            """).all().map(Self.job)
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
                         surveyId: try row.optionalString("survey_id"),
                         status: ImportJob.Status(rawValue: try row.string("status")) ?? .failed,
                         rowsRead: try row.int("rows_read"), rowsImported: try row.int("rows_imported"),
                         rowsRejected: try row.int("rows_rejected"), rejections: rejections,
                         failure: try row.optionalString("failure"), lastRow: try row.int("last_row"), createdBy: try row.optionalString("created_by"),
                         createdAt: try row.int64("created_at"), finishedAt: try row.optionalInt64("finished_at"))
    }
}

