import Foundation
import Hummingbird
import NIOCore
import RapportCore

extension APIRoutes {
    /// `/imports`: CSV imports of customers, orders and (`survey_id` naming the survey) survey responses. The upload is stored in the database as it streams in, then
    /// an `import.run` job imports it: the answer is `202` with the `queued` import, whose progress
    /// `GET /imports/{id}` shows.
    func addImportRoutes(imports: ImportService) {
        post("imports", least: .agent) { request, context, principal in
            let kind = try Validation.oneOf(request.uri.queryParameters.get("type").map { String($0) }, field: "type",
                                            as: ImportJob.Kind.self)
            let surveyId = request.uri.queryParameters.get("survey_id").map { String($0) }
            let contentType = (request.headers[.contentType] ?? "").lowercased()
            let isMultipart = contentType.hasPrefix("multipart/form-data")
            guard isMultipart || contentType.hasPrefix("text/csv") || contentType.hasPrefix("text/plain") else {
                throw RapportError(.unsupportedMediaType, code: "unsupported_media_type",
                                   message: "Send the file as text/csv, or as multipart/form-data with one file part.")
            }
            let job: ImportJob
            if isMultipart {
                // Read whole before the import starts: a body over the limit or cut short leaves no import behind.
                let body = try await request.collectBody(limit: MultipartForm.maxBytes, context: context)
                let form = try MultipartForm(body: Array(body.readableBytesView), contentType: contentType)
                job = try await imports.upload(principal, workspaceId: principal.workspaceId, kind: kind,
                                               surveyId: surveyId ?? form["survey_id"], chunks: SingleChunk(bytes: try form.firstFile()))
            } else {
                let imports = imports
                job = try await request.withBodyChunks(context) { chunks in
                    try await imports.upload(principal, workspaceId: principal.workspaceId, kind: kind, surveyId: surveyId,
                                             chunks: chunks.map { Array($0.readableBytesView) })
                }
            }
            if job.status == .failed {
                // Nothing usable was sent (no header, or an empty file): the request itself is wrong. The import stays
                // recorded as failed; no job was queued.
                throw RapportError(.validation, code: "validation_failed", message: job.failure ?? "The file has no rows.",
                                   details: ["field": "file", "import_id": job.id])
            }
            var response = JSONResponse.make(job.json, status: .accepted)
            response.headers[.location] = "/api/v1/imports/\(job.id)"
            return response
        }

        get("imports", least: .analyst) { request, _, principal in
            JSONResponse.page(try await imports.list(principal, page: try request.pageRequest())) { $0.json }
        }

        get("imports/:import_id", least: .analyst) { _, context, principal in
            JSONResponse.make(try await imports.find(principal, id: try context.id("import_id", of: "import")).json)
        }
    }
}

extension ImportJob {
    var json: JSONValue {
        [
            "id": .string(id), "type": .string(kind.rawValue), "survey_id": JSONValue(surveyId), "status": .string(status.rawValue),
            "rows_read": JSONValue(rowsRead), "rows_imported": JSONValue(rowsImported), "rows_rejected": JSONValue(rowsRejected),
            "rejections": .array(rejections.map { ["row": JSONValue($0.row), "reason": .string($0.reason), "field": JSONValue($0.field)] }),
            "failure": JSONValue(failure), "created_at": .string(Timestamp.iso8601(createdAt)),
            "finished_at": JSONValue(finishedAt.map(Timestamp.iso8601)),
        ]
    }
}
