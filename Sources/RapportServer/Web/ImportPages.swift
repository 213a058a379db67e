import Foundation
import Hummingbird
import RapportCore
import RapportWeb

/// CSV imports in the browser: the list of imports with an upload form, and one import's progress and result with its
/// rejected rows. The file is sent as `multipart/form-data`, stored and queued as by `POST /api/v1/imports`; the
/// browser then lands on the import's page, which refreshes itself until the import ends. Mounted on the session group.
struct ImportPages: Sendable {
    let imports: ImportService
    let pages: PageResponder

    func add(to group: RouterGroup<AppRequestContext>) {
        group.get("/imports") { _, context in try await importList(try context.requirePrincipal(), error: nil) }
        group.post("/imports") { request, context in try await uploadImport(request, context) }
        group.get("/imports/:import_id") { _, context in
            let principal = try context.requirePrincipal()
            let job = try await imports.find(principal, id: try context.id("import_id", of: "import"))
            return try await pages.html(ImportPage(job: job, timeZone: principal.displayZone), for: principal)
        }
    }

    private func importList(_ principal: Principal, error: String?, kind: String = ImportJob.Kind.customers.rawValue,
                            status: HTTPResponse.Status = .ok) async throws -> Response {
        let jobs = try await imports.list(principal, page: PageRequest(limit: 50))
        let page = ImportsPage(imports: jobs.items, selectedKind: kind,
                               canWrite: principal.role.satisfies(Permission.writeData.leastRole), error: error,
                               timeZone: principal.displayZone)
        return try await pages.html(page, for: principal, status: status)
    }

    private func uploadImport(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let contentType = request.headers[.contentType] ?? ""
        guard contentType.lowercased().hasPrefix("multipart/form-data") else {
            throw RapportError(.unsupportedMediaType, code: "unsupported_media_type", message: "Upload the file with the form.")
        }
        let form = try MultipartForm(body: Array(try await request.collectBody(limit: MultipartForm.maxBytes, context: context).readableBytesView),
                                     contentType: contentType)
        try WebCSRF.check(form["_csrf"], of: principal)
        let kind = form["type"] ?? ""
        do {
            let type = try Validation.oneOf(kind, field: "type", as: ImportJob.Kind.self)
            let file = try form.firstFile()
            guard !file.isEmpty else { throw RapportError.invalid("file", "Choose a CSV file to import.") }
            // A file without a usable header comes back failed: its page says why.
            let job = try await imports.upload(principal, workspaceId: principal.workspaceId, kind: type,
                                               surveyId: form["survey_id"], chunks: SingleChunk(bytes: file))
            return Redirect.to(WebURL.importJob(job.id))
        } catch let error as RapportError where [.validation, .badRequest].contains(error.kind) {
            return try await importList(principal, error: error.message, kind: kind, status: error.kind.status)
        }
    }
}
