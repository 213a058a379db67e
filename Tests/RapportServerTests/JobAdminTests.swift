import Foundation
import Hummingbird
import RapportCore
import RapportRuntime
import Testing

/// The admins' view of the job queue over HTTP: the API and the page list only the workspace's own jobs, and retry
/// and cancel change only jobs in a state that allows it. The worker runs around these tests, so the jobs are due far
/// in the future and made dead through the store at that future time.
@Suite("Job administration")
struct JobAdminTests {
    static let future: Int64 = 4_000_000_000_000

    /// A queued job of the workspace, due in the future.
    static func enqueue(_ services: AppServices, workspaceId: String, kind: String = "report.weekly") async throws -> String {
        let id = services.core.ids.next()
        _ = try await services.core.store.write { repos in
            try await repos.jobs.enqueue(Job(id: id, kind: kind, payload: #"{"week":48}"#, workspaceId: workspaceId,
                                             now: services.core.clock.nowMillis, runAt: future))
        }
        return id
    }

    /// A dead job of the workspace: claimed at its due time and failed for the last time.
    static func deadJob(_ services: AppServices, workspaceId: String) async throws -> String {
        let id = try await enqueue(services, workspaceId: workspaceId, kind: "email.send")
        try await services.core.store.write { repos in
            let claimed = try await repos.jobs.claim(owner: "test", limit: 10, now: future + 1, leaseMillis: 60_000)
            #expect(claimed.map(\.id).contains(id))
            for job in claimed where job.id != id { _ = try await repos.jobs.release(id: job.id, owner: "test", now: future + 1) }
            #expect(try await repos.jobs.fail(id: id, owner: "test", error: "550 mailbox unavailable", outcome: .dead, now: future + 2))
        }
        return id
    }

    @Test func adminsListTheirOwnJobsAndRetryOrCancelThemWhenTheStateAllows() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let other = try await Fixture.make(services, name: "Other", ownerEmail: "owner@other.test")
            let queued = try await Self.enqueue(services, workspaceId: acme.workspace.id)
            let dead = try await Self.deadJob(services, workspaceId: acme.workspace.id)
            let foreign = try await Self.enqueue(services, workspaceId: other.workspace.id)

            let all = try await http.get("/api/v1/jobs", key: acme.adminKey)
            #expect(all.status == .ok)
            #expect(Set(all.data.compactMap { $0["id"] as? String }) == [queued, dead])
            let deadOnly = try await http.get("/api/v1/jobs?state=dead", key: acme.adminKey)
            #expect(deadOnly.data.count == 1)
            #expect(deadOnly.data.first?["last_error"] as? String == "550 mailbox unavailable")
            #expect((deadOnly.data.first?["payload"] as? [String: Any])?["week"] as? Int == 48)
            let bad = try await http.get("/api/v1/jobs?state=stuck", key: acme.adminKey)
            #expect(bad.status == .badRequest && bad.errorCode == "invalid_parameter")

            let summary = try await http.get("/api/v1/jobs/summary", key: acme.adminKey)
            let byState = summary.json["by_state"] as? [String: Int]
            #expect(byState?["queued"] == 1 && byState?["dead"] == 1 && byState?["succeeded"] == 0)

            // Another workspace's job does not exist for this one.
            #expect(try await http.get("/api/v1/jobs/\(foreign)", key: acme.adminKey).status == .notFound)
            #expect(try await http.call(.post, "/api/v1/jobs/\(foreign)/retry", key: acme.adminKey).status == .notFound)
            #expect(try await http.call(.post, "/api/v1/jobs/\(foreign)/cancel", key: acme.adminKey).status == .notFound)
            let foreignAfter = try await http.get("/api/v1/jobs/\(foreign)", key: other.adminKey)
            #expect(foreignAfter.string("state") == "queued")

            // Below admin: refused.
            let writer = try await acme.key(services, scope: .write)
            #expect(try await http.get("/api/v1/jobs", key: writer).status == .forbidden)
            #expect(try await http.call(.post, "/api/v1/jobs/\(dead)/retry", key: writer).status == .forbidden)

            let notRetryable = try await http.call(.post, "/api/v1/jobs/\(queued)/retry", key: acme.adminKey)
            #expect(notRetryable.status == .conflict && notRetryable.errorCode == "job_not_retryable")
            let retried = try await http.call(.post, "/api/v1/jobs/\(dead)/retry", key: acme.adminKey)
            #expect(retried.status == .ok)
            #expect(retried.string("state") == "queued" && retried.json["attempts"] as? Int == 0)
            #expect(retried.json["finished_at"] is NSNull)

            let cancelled = try await http.call(.post, "/api/v1/jobs/\(queued)/cancel", key: acme.adminKey)
            #expect(cancelled.status == .ok && cancelled.string("state") == "cancelled")
            let again = try await http.call(.post, "/api/v1/jobs/\(queued)/cancel", key: acme.adminKey)
            #expect(again.status == .conflict && again.errorCode == "job_not_cancellable")

            let audit = try await http.get("/api/v1/audit-log", key: acme.adminKey)
            let actions = audit.data.compactMap { $0["action"] as? String }
            #expect(actions.contains("job.retried") && actions.contains("job.cancelled"))
        }
    }

    @Test func theJobsPageShowsCountsAndDeadJobsAndRetriesFromItsForm() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let queued = try await Self.enqueue(services, workspaceId: acme.workspace.id)
            let dead = try await Self.deadJob(services, workspaceId: acme.workspace.id)
            var browser = BrowserSessionTests.Browser(http: http)
            try await browser.signIn()

            let page = try await browser.request(.get, "/settings/jobs")
            #expect(page.status == .ok)
            #expect(page.text.contains(#"data-testid="job-counts""#))
            #expect(page.text.contains("<th>email.send</th>"))
            #expect(page.text.contains("550 mailbox unavailable"))
            #expect(page.text.contains(#"href="/settings/jobs" aria-current="page">"#), "the admin navigation links the page, marked current")
            let csrf = try #require(BrowserSessionTests.Browser.hidden("_csrf", in: page.text))

            let refused = try await browser.request(.post, "/settings/jobs/\(queued)/retry", form: ["_csrf": csrf])
            #expect(refused.status == .conflict)
            #expect(refused.text.contains("only dead, failed or cancelled jobs can be retried"))

            let forged = try await browser.request(.post, "/settings/jobs/\(dead)/retry", form: ["_csrf": "forged-token-value-000000"])
            #expect(forged.status == .forbidden)

            let retried = try await browser.request(.post, "/settings/jobs/\(dead)/retry", form: ["_csrf": csrf])
            #expect(retried.status == .seeOther)
            #expect(retried.headers[.location] == "/settings/jobs?done=retried")
            let after = try await browser.request(.get, "/settings/jobs?state=dead&done=retried")
            #expect(after.text.contains("The job is queued again."))
            #expect(after.text.contains("No jobs in this state."))
            // Queued again and due now, so the running worker may already have taken it: no longer dead, that is.
            let job = try await services.jobs.get(try await services.access.authenticate(apiKey: acme.adminKey), id: dead)
            #expect(job.state != .dead)
        }
    }

    @Test func adminsSeeTheSchedulesThatEnqueueTheirJobs() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            // The scheduler creates the system schedules on its first tick.
            var listed: [[String: Any]] = []
            for _ in 0..<100 {
                listed = try await http.get("/api/v1/schedules", key: acme.adminKey).data
                if listed.count >= 3 { break }  // the segment refresh, the sweep of abandoned uploads, the daily clean-up
                try await Task.sleep(for: .milliseconds(50))
            }
            let refresh = try #require(listed.first { $0["key"] as? String == "segments.refresh" }, "\(listed)")
            #expect(refresh["scope"] as? String == "system")
            #expect(refresh["cron"] as? String == "*/5 * * * *")
            #expect(refresh["time_zone"] as? String == "UTC")
            #expect(refresh["enabled"] as? Bool == true)
            #expect(refresh["last_error"] is NSNull)
            let sweep = try #require(listed.first { $0["key"] as? String == "imports.sweep" }, "\(listed)")
            #expect(sweep["cron"] as? String == "17 * * * *")

            let writer = try await acme.key(services, scope: .write)
            #expect(try await http.get("/api/v1/schedules", key: writer).status == .forbidden)

            var browser = BrowserSessionTests.Browser(http: http)
            try await browser.signIn()
            let page = try await browser.request(.get, "/settings/jobs")
            #expect(page.text.contains(#"data-testid="schedule-table""#))
            #expect(page.text.contains("<code>segments.refresh</code>"))
            #expect(page.text.contains("<code>*/5 * * * *</code> (UTC)"))
        }
    }
}
