import Foundation
import Hummingbird
import RapportCore
import RapportRuntime
import RapportWeb

/// CSV imports in the browser: the list of imports with an upload form, and one import's result with its rejected
/// rows. The file is sent as `multipart/form-data` and imported while the request waits, as `POST /api/v1/imports`.
extension WebRoutes {
    func addImportPages(to router: Router<AppRequestContext>) {
        router.get("/imports") { request, _ in try await withSession(request) { try await importList($0, error: nil) } }
        router.post("/imports") { request, context in try await uploadImport(request, context) }
        router.get("/imports/:import_id") { request, context in
            try await withSession(request) { try await importPage($0, id: try context.id("import_id", of: "import")) }
        }
    }

    private func importList(_ principal: Principal, error: String?, kind: String = ImportJob.Kind.customers.rawValue,
                            status: HTTPResponse.Status = .ok) async throws -> Response {
        let jobs = try await services.imports.list(principal, page: PageRequest(limit: 50))
        let extra: [String: Any] = [
            "error": error as Any, "can_write": principal.role.satisfies(Permission.writeData.leastRole),
            "kinds": ImportJob.Kind.allCases.map { ["value": $0.rawValue, "selected": $0.rawValue == kind] },
            "imports": jobs.items.map(Self.importSummary),
        ]
        return htmlResponse(web.render("imports", try await page(principal, extra)), status: status)
    }

    private func importPage(_ principal: Principal, id: String) async throws -> Response {
        let job = try await services.imports.find(principal, id: id)
        var extra = Self.importSummary(job)
        extra["rejections"] = job.rejections.map { ["row": $0.row, "field": $0.field ?? "", "reason": $0.reason] }
        extra["has_rejections"] = !job.rejections.isEmpty
        extra["more_rejections"] = job.rowsRejected > job.rejections.count
            ? job.rowsRejected - job.rejections.count : 0
        return htmlResponse(web.render("import", try await page(principal, ["job": extra])))
    }

    private func uploadImport(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let principal = try await sessionPrincipal(request) else { return Redirect.to("/login") }
        let contentType = request.headers[.contentType] ?? ""
        guard contentType.lowercased().hasPrefix("multipart/form-data") else {
            throw RapportError(.unsupportedMediaType, code: "unsupported_media_type", message: "Upload the file with the form.")
        }
        let form = try MultipartForm(body: Array(try await request.collectBody(limit: MultipartForm.maxBytes, context: context).readableBytesView),
                                     contentType: contentType)
        try checkCSRF(form["_csrf"], of: principal)
        let kind = form["type"] ?? ""
        do {
            let type = try Validation.oneOf(kind, field: "type", as: ImportJob.Kind.self)
            let file = try form.firstFile()
            guard !file.isEmpty else { throw RapportError.invalid("file", "Choose a CSV file to import.") }
            let job = try await services.imports.start(principal, workspaceId: principal.workspaceId, kind: type)
            let finished = try await services.imports.run(job, chunks: SingleChunk(bytes: file))
            return Redirect.to("/imports/\(finished.id)")
        } catch let error as RapportError where [.validation, .badRequest].contains(error.kind) {
            return try await importList(principal, error: error.message, kind: kind, status: error.kind.status)
        }
    }

    static func importSummary(_ job: ImportJob) -> [String: Any] {
        [
            "id": job.id, "type": job.kind.rawValue, "status": job.status.rawValue,
            "is_failed": job.status == .failed, "failure": job.failure ?? "",
            "rows_read": job.rowsRead, "rows_imported": job.rowsImported, "rows_rejected": job.rowsRejected,
            "created_at": Timestamp.iso8601(job.createdAt), "finished_at": job.finishedAt.map(Timestamp.iso8601) ?? "still running",
        ]
    }
}
