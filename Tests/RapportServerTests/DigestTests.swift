import Foundation
import Hummingbird
import Logging
import RapportCore
import RapportRuntime
import Testing

/// The email digest (`/api/v1/me/digest`, docs/methods.md "The email digest"): a member turns it on, the scheduler
/// fires it at 08:00 in the workspace's time zone, and the email carries the goals, the headline metrics with their
/// intervals and the change from the period before, and the member's overdue follow-ups.
@Suite("Email digest")
struct DigestTests {
    /// Signs in as the fixture's owner and returns the browser with the page's CSRF header.
    static func owner(_ env: AutomationTests.Env) async throws -> (BrowserSessionTests.Browser, HTTPFields) {
        var browser = BrowserSessionTests.Browser(http: env.http)
        try await browser.signIn()
        let page = try await browser.request(.get, "/")
        let token = try #require(BrowserSessionTests.Browser.meta(page.text), "\(page.text.prefix(300))")
        return (browser, [.init("X-CSRF-Token")!: token])
    }

    /// NPS answers: the week of 1–7 June 2026 (5 promoters, 2 passives, 3 detractors: NPS +20) and the week of 8–14
    /// June (7, 2, 1: NPS +60), each detractor opening a case for the owner, due an hour after it was recorded (06:00 on 15 June).
    static func answers(_ env: AutomationTests.Env) async throws {
        let survey = try await FollowUpTests.activeSurvey(env.http, env.key, followUp: ["due_hours": 1, "default_owner_id": env.fixture.ownerId])
        let weeks: [(String, [Int])] = [("2026-06-0%dT10:00:00Z", [10, 10, 10, 10, 9, 8, 8, 3, 2, 1]),
                                         ("2026-06-%02dT10:00:00Z", [10, 10, 10, 10, 10, 10, 9, 8, 7, 2])]
        for (week, (pattern, scores)) in weeks.enumerated() {
            for (index, score) in scores.enumerated() {
                let day = 1 + week * 7 + index % 7
                let reply = try await env.http.call(.post, "/api/v1/surveys/\(survey)/responses", key: env.key, json: [
                    "email": "d\(week)-\(index)@example.com", "answers": ["score": score],
                    "submitted_at": String(format: pattern, day), "channel": "api"])
                #expect(reply.status == .created, "\(reply.text)")
            }
        }
    }

    @Test func theDigestCarriesGoalsMetricsWithTheirChangeAndOverdueFollowUps() async throws {
        try await AutomationTests.run(at: "2026-06-15T06:00:00Z", configure: EmailOutboxTests.withSMTP) { env in
            try await Self.answers(env)
            let goal = try await env.http.call(.post, "/api/v1/goals", key: env.key, json: [
                "name": "NPS 30 by December", "metric": "nps", "target": 30, "due_date": "2026-12-31", "window_days": 30])
            #expect(goal.status == .created, "\(goal.text)")
            var (browser, csrf) = try await Self.owner(env)

            let initial = try await browser.request(.get, "/api/v1/me/digest")
            #expect(initial.json["frequency"] as? String == "off" && initial.json["next_run_at"] is NSNull, "\(initial.text)")
            let bad = try await browser.request(.put, "/api/v1/me/digest", headers: csrf, json: ["frequency": "hourly"])
            #expect(bad.status == .unprocessableContent && bad.text.contains("frequency"), "\(bad.text)")
            let weekly = try await browser.request(.put, "/api/v1/me/digest", headers: csrf, json: ["frequency": "weekly"])
            #expect(weekly.json["frequency"] as? String == "weekly", "\(weekly.text)")
            #expect(weekly.json["next_run_at"] as? String == "2026-06-15T08:00:00.000Z", "Monday 08:00 in UTC: \(weekly.text)")
            let viaKey = try await env.http.get("/api/v1/me/digest", key: env.key)
            #expect(viaKey.status == .forbidden && viaKey.errorCode == "user_required", "\(viaKey.text)")

            // The scheduler fires it at 08:00; the job queues the email to the owner.
            env.clock.set(ISO8601.millis("2026-06-15T08:00:30Z")!)
            let scheduler = Scheduler(store: env.services.core.store, ids: env.services.core.ids, clock: env.services.core.clock,
                                      settings: SchedulerSettings(), logger: Logger(label: "test"))
            #expect(await scheduler.tick() == 1)
            let store = env.services.core.store, now = env.clock.nowMillis
            let jobs = try await store.write {
                try await $0.jobs.claim(owner: "test", limit: 10, now: now, leaseMillis: 60_000, kinds: [DigestService.jobKind])
            }
            #expect(jobs.count == 1)
            for job in jobs { try await DigestSendHandler(env.services.digests).run(job) }
            let emails = try await env.http.get("/api/v1/emails?limit=200", key: env.key).data.filter { $0["source"] as? String == "digest" }
            #expect(emails.count == 1 && emails.first?["to"] as? String == "owner@acme.test", "\(emails)")
            let id = try #require(emails.first?["id"] as? String)
            let email = try await env.http.get("/api/v1/emails/\(id)", key: env.key)
            let text = try #require(email.json["text"] as? String, "\(email.text)")

            let last = try #require(NetPromoterScore(promoters: 7, passives: 2, detractors: 1).estimate())
            let interval = String(format: "%+.0f to %+.0f", try #require(last.low), try #require(last.high))
            #expect(email.json["subject"] as? String == "Acme: your weekly Rapport digest, 8 Jun – 14 Jun 2026", "\(email.text)")
            // The change's own interval (difference of two independent NPS values): 10 answers a week cannot tell +40 from noise.
            let change = try #require(NetPromoterScore.compare(NetPromoterScore(promoters: 7, passives: 2, detractors: 1),
                                                               NetPromoterScore(promoters: 5, passives: 2, detractors: 3)))
            #expect(!change.isSignificant && change.low < 0 && change.high > 40)
            let changeInterval = String(format: "%+.0f points to %+.0f points", change.low, change.high)
            #expect(text.contains("- NPS: +60 (\(interval)), n = 10, small sample. Change: +40 points (from +20); "
                                  + "95 % interval of the change \(changeInterval): within noise."), "\(text)")
            #expect(text.contains("- CSAT: no answers, n = 0."), "\(text)")
            // The goal over the 30 days to now: 12 promoters, 4 passives, 4 detractors of 20 (NPS +40).
            let goalEstimate = try #require(NetPromoterScore(promoters: 12, passives: 4, detractors: 4).estimate())
            let goalInterval = String(format: "%+.0f to %+.0f", try #require(goalEstimate.low), try #require(goalEstimate.high))
            #expect(text.contains("- NPS 30 by December: +40 (\(goalInterval)) against a target of +30. The target is inside the interval: not yet clear. 199 days left."),
                    "\(text)")
            #expect(text.contains("Your overdue follow-ups: 4 (in the workspace: 4)"), "\(text)")
            #expect(text.contains("https://cx.example.com/follow-ups/"), "\(text)")
            let html = try #require(email.json["html"] as? String)
            #expect(html.contains("<strong>+60</strong>") && html.contains("NPS 30 by December"), "\(html)")

            // Sent now on request; turned off, the schedule is gone.
            let now2 = try await browser.request(.post, "/api/v1/me/digest/send", headers: csrf)
            #expect(now2.status == .accepted && now2.json["to"] as? String == "owner@acme.test", "\(now2.text)")
            let off = try await browser.request(.put, "/api/v1/me/digest", headers: csrf, json: ["frequency": "off"])
            #expect(off.json["frequency"] as? String == "off" && off.json["next_run_at"] is NSNull, "\(off.text)")
            #expect(try await store.read { try await $0.schedules.list(workspaceId: env.fixture.workspace.id) }
                .allSatisfy { !$0.key.hasPrefix("digest.") })
        }
    }
}
