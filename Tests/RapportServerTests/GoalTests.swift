import Foundation
import Hummingbird
import RapportCore
import RapportRuntime
import Testing

/// CX goals (`/api/v1/goals`, docs/methods.md "Goals"): a metric, a target and a date; progress is the metric over the
/// goal's trailing window with its interval, and the status says whether the target lies above, inside or below it.
@Suite("CX goals")
struct GoalTests {
    /// 30 answers in the 90 days before 15 June 2026 (20 promoters, 5 passives, 5 detractors: NPS 50), one
    /// detractor 100 days before (outside the window), and 5 promoters on 10–14 June.
    static func answers(_ env: AutomationTests.Env, survey: String) async throws {
        var scores = Array(repeating: 10, count: 15) + Array(repeating: 8, count: 5) + Array(repeating: 2, count: 5)
        var dates = (0..<25).map { String(format: "2026-05-%02dT10:00:00Z", 1 + $0) }
        scores += Array(repeating: 9, count: 5)
        dates += (10...14).map { "2026-06-\($0)T10:00:00Z" }
        scores.append(0)
        dates.append("2026-03-07T10:00:00Z")
        for (index, (score, date)) in zip(scores, dates).enumerated() {
            let reply = try await env.http.call(.post, "/api/v1/surveys/\(survey)/responses", key: env.key, json: [
                "email": "g\(index)@example.com", "answers": ["score": score], "submitted_at": date, "channel": "import"])
            #expect(reply.status == .created, "\(reply.text)")
        }
    }

    static func create(_ env: AutomationTests.Env, _ body: [String: Any], key: String? = nil) async throws -> TestHTTP.Reply {
        try await env.http.call(.post, "/api/v1/goals", key: key ?? env.key, json: body)
    }

    @Test func progressPlacesTheTargetAgainstTheInterval() async throws {
        try await AutomationTests.run(at: "2026-06-15T12:00:00Z") { env in
            let survey = try await FollowUpTests.activeSurvey(env.http, env.key, followUp: ["enabled": false])
            try await Self.answers(env, survey: survey)
            let expected = try #require(NetPromoterScore(promoters: 20, passives: 5, detractors: 5).estimate())
            let low = try #require(expected.low), high = try #require(expected.high)
            #expect(low > 10 && low < 40 && high > 40 && high < 80, "the fixture's interval: \(low)…\(high)")

            for (target, status) in [(10.0, "above"), (40.0, "within"), (80.0, "below")] {
                let made = try await Self.create(env, ["name": "NPS \(Int(target))", "metric": "nps", "target": target,
                                                       "due_date": "2026-06-30", "survey_id": survey])
                #expect(made.status == .created, "\(made.text)")
                let progress = try #require(made.json["progress"] as? [String: Any], "\(made.text)")
                #expect(progress["status"] as? String == status, "target \(target): \(made.text)")
                #expect(progress["days_left"] as? Int == 15)
                let estimate = try #require(progress["estimate"] as? [String: Any])
                #expect(estimate["value"] as? Double == 50 && estimate["n"] as? Int == 30)
                #expect(SurveyMetricsTests.close(estimate["low"], expected.low) && SurveyMetricsTests.close(estimate["high"], expected.high))
                #expect(SurveyMetricsTests.close(progress["gap"], 50 - target))
                #expect(progress["from"] as? String == "2026-03-17T12:00:00.001Z", "90 days before now")
            }

            // A goal whose date has passed keeps the verdict of its window ending that day: here up to 31 May,
            // without the five promoters of June (15 promoters, 5 passives, 5 detractors of 25: NPS 40).
            let ended = try await Self.create(env, ["name": "Spring", "metric": "nps", "target": 30, "due_date": "2026-05-31",
                                                    "window_days": 31])
            let endedProgress = try #require(ended.json["progress"] as? [String: Any], "\(ended.text)")
            #expect(endedProgress["days_left"] as? Int == -15 && endedProgress["to"] as? String == "2026-06-01T00:00:00.000Z")
            #expect((endedProgress["estimate"] as? [String: Any])?["value"] as? Double == 40)
            #expect((endedProgress["estimate"] as? [String: Any])?["n"] as? Int == 25)

            // No answers at all: no value, not 0. CSAT targets are in per cent, as the metric.
            let csat = try await Self.create(env, ["name": "CSAT", "metric": "csat", "target": 85, "due_date": "2026-12-31"])
            #expect((csat.json["progress"] as? [String: Any])?["status"] as? String == "no_data", "\(csat.text)")
            #expect((csat.json["progress"] as? [String: Any])?["estimate"] is NSNull)

            let list = try await env.http.get("/api/v1/goals", key: env.key)
            #expect(list.data.compactMap { $0["name"] as? String } == ["Spring", "NPS 10", "NPS 40", "NPS 80", "CSAT"], "\(list.text)")

            // The segment deleted: the goal stays, its progress unavailable with the reason.
            let segment = try await env.http.call(.post, "/api/v1/segments", key: env.key, json: [
                "name": "Everyone", "rule": ["field": "trait.email", "op": "exists"]])
            let segmentId = try #require(segment.string("id"), "\(segment.text)")
            let bySegment = try await Self.create(env, ["name": "Segment", "metric": "nps", "target": 0, "due_date": "2026-12-31",
                                                        "segment_id": segmentId])
            #expect(bySegment.status == .created && (bySegment.json["progress"] as? [String: Any])?["status"] as? String != "unavailable",
                    "\(bySegment.text)")
            let goal = try #require(bySegment.string("id"))
            #expect(try await env.http.call(.delete, "/api/v1/segments/\(segmentId)", key: env.key).status == .noContent)
            let orphan = try await env.http.get("/api/v1/goals/\(goal)", key: env.key)
            #expect((orphan.json["progress"] as? [String: Any])?["status"] as? String == "unavailable", "\(orphan.text)")
        }
    }

    @Test func goalsAreCheckedSetByAdminsAndStayInTheirWorkspace() async throws {
        try await AutomationTests.run(at: "2026-06-15T12:00:00Z") { env in
            let valid: [String: Any] = ["name": "NPS up", "metric": "nps", "target": 30, "due_date": "2027-06-30"]
            for (change, field) in [(["target": 150], "target"), (["metric": "csat", "target": 100.5], "target"),
                                    (["due_date": "2027-02-31"], "due_date"), (["due_date": "30/06/2027"], "due_date"),
                                    (["metric": "mood"], "metric"), (["metric": "follow_up_time"], "metric"), (["window_days": 3], "window_days"),
                                    (["name": ""], "name"), (["segment_id": "0196a1a0-0000-7000-8000-000000000000"], "segment_id"),
                                    (["colour": "red"], "colour")] as [([String: Any], String)] {
                let body = valid.merging(change) { _, new in new }
                let reply = try await Self.create(env, body)
                #expect(reply.status == .unprocessableContent, "\(change): \(reply.text)")
                #expect(((reply.json["error"] as? [String: Any])?["details"] as? [String: Any])?["field"] as? String == field,
                        "\(change): \(reply.text)")
            }
            let missing = try await Self.create(env, ["name": "x", "metric": "nps", "due_date": "2027-06-30"])
            #expect(missing.status == .unprocessableContent && missing.text.contains("target"), "\(missing.text)")
            let survey = try await FollowUpTests.activeSurvey(env.http, env.key, followUp: ["enabled": false])
            let wrongSurvey = try await Self.create(env, valid.merging(["metric": "ces", "target": 5, "survey_id": survey]) { _, new in new })
            #expect(wrongSurvey.status == .unprocessableContent && wrongSurvey.text.contains("does not open with a ces"), "\(wrongSurvey.text)")

            let made = try await Self.create(env, valid)
            let id = try #require(made.string("id"), "\(made.text)")
            let read = try await env.fixture.key(env.services, scope: .read)
            let write = try await env.fixture.key(env.services, scope: .write)
            #expect(try await env.http.get("/api/v1/goals/\(id)", key: read).status == .ok)
            #expect(try await Self.create(env, valid, key: write).status == .forbidden)
            #expect(try await env.http.call(.patch, "/api/v1/goals/\(id)", key: write, json: ["target": 10]).status == .forbidden)
            #expect(try await env.http.call(.delete, "/api/v1/goals/\(id)", key: read).status == .forbidden)

            let patched = try await env.http.call(.patch, "/api/v1/goals/\(id)", key: env.key, json: ["target": 35.5, "window_days": 30])
            #expect(patched.status == .ok && patched.json["target"] as? Double == 35.5 && patched.json["window_days"] as? Int == 30,
                    "\(patched.text)")
            let badPatch = try await env.http.call(.patch, "/api/v1/goals/\(id)", key: env.key, json: ["metric": "ces"])
            #expect(badPatch.status == .unprocessableContent, "a CES target of 35.5 is out of range: \(badPatch.text)")

            let other = try await Fixture.make(env.services, name: "Other", ownerEmail: "owner@other.test")
            #expect(try await env.http.get("/api/v1/goals/\(id)", key: other.adminKey).status == .notFound)
            #expect(try await env.http.get("/api/v1/goals", key: other.adminKey).data.isEmpty)
            #expect(try await env.http.call(.delete, "/api/v1/goals/\(id)", key: other.adminKey).status == .notFound)

            #expect(try await env.http.call(.delete, "/api/v1/goals/\(id)", key: env.key).status == .noContent)
            #expect(try await env.http.get("/api/v1/goals/\(id)", key: env.key).status == .notFound)
            let actions = try await env.http.get("/api/v1/audit-log", key: env.key).data.compactMap { $0["action"] as? String }
            #expect(actions.contains("goal.created") && actions.contains("goal.updated") && actions.contains("goal.deleted"), "\(actions)")
        }
    }

    @Test func theGoalsPageSetsAGoalAndShowsWhereItStands() async throws {
        try await AutomationTests.run(at: "2026-06-15T12:00:00Z") { env in
            let survey = try await FollowUpTests.activeSurvey(env.http, env.key, followUp: ["enabled": false])
            try await Self.answers(env, survey: survey)
            var (browser, _) = try await DigestTests.owner(env)
            let empty = try await browser.request(.get, "/goals")
            #expect(empty.status == .ok && empty.text.contains("No goals yet.") && empty.text.contains("Set the goal"), "\(empty.text)")
            let csrf = try #require(BrowserSessionTests.Browser.hidden("_csrf", in: empty.text))

            let bad = try await browser.request(.post, "/goals", form: ["_csrf": csrf, "name": "NPS", "metric": "nps", "target": "140",
                                                                        "due_date": "2026-12-31", "window_days": "90"])
            #expect(bad.status == .unprocessableContent && bad.text.contains("The NPS target must be from -100 to 100."), "\(bad.text)")
            let made = try await browser.request(.post, "/goals", form: ["_csrf": csrf, "name": "NPS 40 by December", "metric": "nps",
                                                                         "target": "40", "due_date": "2026-12-31", "survey_id": survey,
                                                                         "segment_id": "", "window_days": "90"])
            #expect(made.status == .seeOther && made.headers[.location] == "/goals?done=created", "\(made.text)")
            let page = try await browser.request(.get, "/goals?done=created")
            #expect(page.text.contains("The goal is set.") && page.text.contains("NPS 40 by December"))
            #expect(page.text.contains("+50") && page.text.contains("The target is inside the interval: not yet clear.") && page.text.contains("199 days left."),
                    "\(page.text)")

            let weekly = try await browser.request(.post, "/goals/digest", form: ["_csrf": csrf, "frequency": "weekly"])
            #expect(weekly.status == .seeOther)
            let after = try await browser.request(.get, "/goals")
            #expect(after.text.contains("Next digest") && after.text.contains("value=\"weekly\" checked"), "\(after.text)")
            let unsent = try await browser.request(.post, "/goals/digest/send", form: ["_csrf": csrf])
            #expect(unsent.status == .conflict && unsent.text.contains("No SMTP server is configured"), "without SMTP: \(unsent.text)")
        }
    }
}
