import Hummingbird
import RapportCore
import RapportWeb

/// The admins' view of the workspace's background jobs, with retry and cancel. Mounted on the session group.
struct JobPages: Sendable {
    let jobs: JobService
    let pages: PageResponder

    func add(to group: RouterGroup<AppRequestContext>) {
        group.get("/settings/jobs") { request, context in try await jobsPage(try context.requirePrincipal(), request) }
        group.post("/settings/jobs/:job_id/retry") { request, context in
            try await change(request, context, done: "retried") { principal, id in
                _ = try await jobs.retry(principal, id: id, ip: context.remoteIP)
            }
        }
        group.post("/settings/jobs/:job_id/cancel") { request, context in
            try await change(request, context, done: "cancelled") { principal, id in
                _ = try await jobs.cancel(principal, id: id, ip: context.remoteIP)
            }
        }
    }

    static let notices = ["retried": "The job is queued again.", "cancelled": "The job is cancelled."]

    private func jobsPage(_ principal: Principal, _ request: Request, error: String? = nil,
                          status: HTTPResponse.Status = .ok) async throws -> Response {
        let raw = request.uri.queryParameters.get("state").map { String($0) } ?? ""
        // An unknown state in the address shows every job rather than an error page.
        let state = JobState(rawValue: raw)
        let counts = try await jobs.summary(principal)
        let list = try await jobs.list(principal, state: state, kind: nil, page: try request.pageRequest())
        let flash = request.uri.queryParameters.get("done").flatMap { Self.notices[String($0)] }
        let schedules = try await jobs.schedules(principal)
        return try await pages.html(JobsPage(counts: counts, jobs: list, state: state, schedules: schedules,
                                             workspaceZone: principal.workspace.timeZone, error: error, flash: flash,
                                             timeZone: principal.displayZone),
                                    for: principal, status: status)
    }

    /// A retry or cancel from the page; post/redirect/get, or the page again with the reason it was refused.
    private func change(_ request: Request, _ context: AppRequestContext, done: String,
                        _ action: (Principal, String) async throws -> Void) async throws -> Response {
        let (principal, _) = try await context.signedInForm(request)
        do {
            try await action(principal, try context.id("job_id", of: "job"))
            return Redirect.to(WebURL.jobs(done: done))
        } catch let error as RapportError where error.kind == .conflict {
            return try await jobsPage(principal, request, error: error.message, status: .conflict)
        }
    }
}
