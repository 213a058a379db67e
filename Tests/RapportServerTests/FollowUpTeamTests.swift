import Foundation
import Hummingbird
import RapportCore
import RapportRuntime
import Testing

/// Teams of members and what they are for in closing the loop (docs/surveys.md, "Teams" and "Closing the loop"): the
/// follow-up queue's "My team" and `team=` filters, and the survey sent after a case is resolved to see whether the
/// customer's view changed.
@Suite("Teams and the survey after a resolved case")
struct FollowUpTeamTests {
    @Test func adminsStaffTeamsThatOnlyTheirWorkspaceSees() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            let sam = try await FollowUpTests.addAgent(services, acme)
            let kim = try await FollowUpTests.addAgent(services, acme, email: "kim@acme.test")

            let made = try await http.call(.post, "/api/v1/teams", key: key, json: ["name": " Support EU ", "member_ids": [sam, acme.ownerId, sam]])
            #expect(made.status == .created, "\(made.text)")
            #expect(made.string("name") == "Support EU")
            #expect(made.json["member_ids"] as? [String] == [sam, acme.ownerId].sorted())
            let teamId = try #require(made.string("id"))

            // Bad input names its field; a name is unique regardless of case.
            for (body, field) in [(["name": ""], "name"), (["name": 7], "name"), (["name": "X", "member_ids": ["nobody"]], "member_ids"),
                                  (["name": "X", "member_ids": ["11111111-1111-7111-8111-111111111111"]], "member_ids"),
                                  (["name": "X", "colour": "red"], "colour")] as [([String: Any], String)] {
                let reply = try await http.call(.post, "/api/v1/teams", key: key, json: body)
                #expect(reply.status == .unprocessableContent && SurveyTests.field(reply) == field, "\(body): \(reply.text)")
            }
            let twin = try await http.call(.post, "/api/v1/teams", key: key, json: ["name": "support eu"])
            #expect(twin.status == .conflict && twin.errorCode == "name_taken", "\(twin.text)")

            let moved = try await http.call(.patch, "/api/v1/teams/\(teamId)", key: key, json: ["member_ids": [kim, sam]])
            #expect(moved.status == .ok && moved.json["member_ids"] as? [String] == [kim, sam].sorted(), "\(moved.text)")
            #expect(try await http.get("/api/v1/teams", key: key).data.compactMap { $0["name"] as? String } == ["Support EU"])

            // Read by every member, changed by admins only, invisible elsewhere.
            let read = try await acme.key(services, scope: .read)
            #expect(try await http.get("/api/v1/teams/\(teamId)", key: read).status == .ok)
            #expect(try await http.call(.post, "/api/v1/teams", key: read, json: ["name": "Mine"]).status == .forbidden)
            #expect(try await http.call(.patch, "/api/v1/teams/\(teamId)", key: read, json: ["name": "Mine"]).status == .forbidden)
            #expect(try await http.call(.delete, "/api/v1/teams/\(teamId)", key: read).status == .forbidden)
            let other = try await Fixture.make(services, name: "Other", ownerEmail: "owner@other.test")
            #expect(try await http.get("/api/v1/teams", key: other.adminKey).data.isEmpty)
            #expect(try await http.get("/api/v1/teams/\(teamId)", key: other.adminKey).status == .notFound)
            #expect(try await http.call(.patch, "/api/v1/teams/\(teamId)", key: other.adminKey, json: ["name": "Ours"]).status == .notFound)
            #expect(try await http.call(.post, "/api/v1/teams", key: other.adminKey, json: ["name": "Support EU"]).status == .created,
                    "names are unique per workspace")
            #expect(try await http.call(.post, "/api/v1/teams", key: other.adminKey, json: ["name": "Theirs", "member_ids": [sam]])
                .status == .unprocessableContent, "Sam is no member of Other")

            // Leaving the workspace leaves every team; deleting a team leaves the people.
            #expect(try await http.call(.delete, "/api/v1/users/\(kim)", key: key).status == .noContent)
            #expect(try await http.get("/api/v1/teams/\(teamId)", key: key).json["member_ids"] as? [String] == [sam])
            #expect(try await http.call(.delete, "/api/v1/teams/\(teamId)", key: key).status == .noContent)
            #expect(try await http.get("/api/v1/teams/\(teamId)", key: key).status == .notFound)
            #expect(try await http.get("/api/v1/users/\(sam)", key: key).status == .ok)
            let audit = try await http.get("/api/v1/audit-log", key: key).data.compactMap { $0["action"] as? String }
            #expect(audit.filter { $0.hasPrefix("team.") }.sorted() == ["team.created", "team.deleted", "team.updated"])
        }
    }

    @Test func myTeamShowsTheCasesOfEveryoneWhoSharesATeamWithMe() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            let sam = try await FollowUpTests.addAgent(services, acme)
            let kim = try await FollowUpTests.addAgent(services, acme, email: "kim@acme.test")
            let survey = try await FollowUpTests.activeSurvey(http, key)
            for (email, agent) in [("a@example.com", "sam@acme.test"), ("b@example.com", "kim@acme.test"), ("c@example.com", "owner@acme.test")] {
                _ = try await FollowUpTests.answer(http, key, survey: survey, email: email, score: 2, agent: agent)
            }
            let cases = try await http.get("/api/v1/follow-ups", key: key).data
            let byOwner = Dictionary(uniqueKeysWithValues: cases.map { ($0["owner_id"] as! String, $0["id"] as! String) })
            let teamId = try #require(try await http.call(.post, "/api/v1/teams", key: key,
                                                          json: ["name": "Billing", "member_ids": [acme.ownerId, sam]]).string("id"))

            let signedIn = try await services.access.signIn(email: "owner@acme.test", password: "correct horse battery", ip: nil)
            let cookie: HTTPFields = [.cookie: "rapport_session=\(signedIn.token)"]
            let mine = try await http.get("/api/v1/follow-ups?owner=my_team", headers: cookie).data.compactMap { $0["id"] as? String }
            #expect(Set(mine) == [byOwner[acme.ownerId]!, byOwner[sam]!], "not Kim's")
            let byTeam = try await http.get("/api/v1/follow-ups?team=\(teamId)", key: key).data.compactMap { $0["id"] as? String }
            #expect(Set(byTeam) == Set(mine))
            #expect(try await http.get("/api/v1/follow-ups?owner=my_team", key: key).status == .forbidden, "a key is in no team")
            #expect(try await http.get("/api/v1/follow-ups?team=nope", key: key).status == .badRequest)
            #expect(try await http.get("/api/v1/follow-ups?team=11111111-1111-7111-8111-111111111111", key: key).status == .notFound)

            // The queue's "My team" tab; Kim, in no team, is told how to get into one.
            let page = try await http.get("/follow-ups?show=team", headers: cookie)
            #expect(page.status == .ok && page.text.contains("My team") && page.text.contains("aria-current=\"page\">My team"), "\(page.text)")
            #expect(page.text.contains("/follow-ups/\(byOwner[sam]!)") && !page.text.contains("/follow-ups/\(byOwner[kim]!)"))
            let kimIn = try await services.access.signIn(email: "kim@acme.test", password: "correct horse battery", ip: nil)
            let kimPage = try await http.get("/follow-ups?show=team", headers: [.cookie: "rapport_session=\(kimIn.token)"])
            #expect(kimPage.text.contains("You are in no team yet"), "\(kimPage.text)")

            // The team page lists the teams and, for an admin, staffs them with checkboxes.
            let teamPage = try await http.get("/settings/team", headers: cookie)
            #expect(teamPage.status == .ok && teamPage.text.contains("Billing") && teamPage.text.contains("create-team"))
            var form = cookie
            form[.contentType] = "application/x-www-form-urlencoded"
            let csrf = signedIn.session.csrfToken
            let saved = try await http.call(.post, "/settings/teams/\(teamId)", raw: "_csrf=\(csrf)&name=Billing&member_ids=\(kim)",
                                            headers: form)
            #expect(saved.status == .ok && saved.text.contains("The team Billing is saved."), "\(saved.text)")
            #expect(try await http.get("/api/v1/teams/\(teamId)", key: key).json["member_ids"] as? [String] == [kim])
            let clash = try await http.call(.post, "/settings/teams", raw: "_csrf=\(csrf)&name=billing", headers: form)
            #expect(clash.status == .conflict && clash.text.contains("already exists"), "\(clash.text)")
        }
    }

    @Test func aResolvedCaseSendsTheSurveyAgainAndTheCaseShowsTheNewScore() async throws {
        try await SurveyInvitationTests.run { env in
            let surveyId = try await SurveyInvitationTests.activeSurvey(env, settings: ["follow_up": ["resurvey_after_hours": 24]])
            try await env.identify("mia", ["email": "mia@example.com", "first_name": "Mia"])
            let mia = try #require(try await env.customer("mia")["id"] as? String)
            try await SurveyInvitationTests.invite(env, surveyId, [mia], attributes: ["agent": "owner@acme.test", "ticket_id": "T-1"])
            try await SurveyInvitationTests.drain(env)
            let first = try await SurveyInvitationTests.token(env, to: "mia@example.com")
            #expect(try await SurveyInvitationTests.form(env.http, first, [("a_score", "3")]).status == .ok)
            let caseId = try #require(try await env.http.get("/api/v1/follow-ups", key: env.key).data.first?["id"] as? String)
            let url = "/api/v1/follow-ups/\(caseId)"

            // Won't fix sends nothing; resolved schedules the survey a day later, past the recontact period's block.
            env.clock.advance(.seconds(3_600))
            let resolved = try await env.http.call(.patch, url, key: env.key, json: ["status": "resolved", "outcome": "refund"])
            #expect(resolved.status == .ok, "\(resolved.text)")
            let resurvey = try #require(resolved.json["resurvey"] as? [String: Any], "\(resolved.text)")
            #expect(resurvey["status"] as? String == "scheduled" && resurvey["survey_id"] as? String == surveyId)
            let invitationId = try #require(resolved.string("resurvey_invitation_id"))
            try await SurveyInvitationTests.drain(env)
            let toMia = try await env.http.get("/api/v1/emails", key: env.key).data.filter { $0["to"] as? String == "mia@example.com" }
            #expect(toMia.count == 1, "nothing before the day is over")
            env.clock.advance(.seconds(86_401))
            try await SurveyInvitationTests.drain(env)
            let invitation = try await env.http.get("/api/v1/surveys/\(surveyId)/invitations/\(invitationId)", key: env.key)
            #expect(invitation.string("status") == "sent" && invitation.string("source") == "follow_up", "\(invitation.text)")
            let attributes = try #require(invitation.json["attributes"] as? [String: String])
            #expect(attributes["follow_up_id"] == caseId && attributes["previous_score"] == "3" && attributes["ticket_id"] == "T-1")

            // Mia answers again: the case shows the score before and after, and the new answer opens no second case.
            let second = try await SurveyInvitationTests.token(env, to: "mia@example.com")
            #expect(second != first)
            #expect(try await SurveyInvitationTests.form(env.http, second, [("a_score", "9")]).status == .ok)
            let after = try await env.http.get(url, key: env.key)
            #expect((after.json["resurvey"] as? [String: Any])?["score"] as? Int == 9, "\(after.text)")
            #expect(try await env.http.get("/api/v1/follow-ups", key: env.key).data.count == 1)
            let response = try #require(try await env.http.get("/api/v1/surveys/\(surveyId)/responses", key: env.key)
                .data.first { $0["score"] as? Int == 9 })
            #expect((response["attributes"] as? [String: String])?["previous_score"] == "3")
        }
    }

    @Test func aResurveyHonoursConsentAndAnInactiveSurveyLeavesANote() async throws {
        try await SurveyInvitationTests.run { env in
            let target = try await SurveyInvitationTests.activeSurvey(env)
            let surveyId = try await SurveyInvitationTests.activeSurvey(
                env, settings: ["follow_up": ["resurvey_after_hours": 0, "resurvey_survey_id": target]])
            for user in ["ann", "bob"] { try await env.identify(user, ["email": "\(user)@example.com"]) }
            let ann = try #require(try await env.customer("ann")["id"] as? String)
            let bob = try #require(try await env.customer("bob")["id"] as? String)
            for email in ["ann@example.com", "bob@example.com"] {
                _ = try await FollowUpTests.answer(env.http, env.key, survey: surveyId, email: email, score: 1)
            }
            let cases = try await env.http.get("/api/v1/follow-ups", key: env.key).data
            let caseOf = Dictionary(uniqueKeysWithValues: cases.map { ($0["customer_id"] as! String, $0["id"] as! String) })

            // Ann withdrew her surveys consent: the survey after resolution is held back like any other.
            _ = try await env.http.call(.post, "/api/v1/customers/\(ann)/consents", key: env.key, json: [
                "purpose": "surveys", "channel": "email", "status": "withdrawn"])
            #expect(try await env.http.call(.patch, "/api/v1/follow-ups/\(caseOf[ann]!)", key: env.key,
                                            json: ["status": "resolved", "outcome": "explained"]).status == .ok)
            try await SurveyInvitationTests.drain(env)
            let held = try #require(try await SurveyInvitationTests.invitations(env, target).first)
            #expect(held["status"] as? String == "suppressed" && held["reason"] as? String == "no_consent", "\(held)")

            // The target survey paused: nothing is scheduled, and the case says why.
            #expect(try await env.http.call(.post, "/api/v1/surveys/\(target)/pause", key: env.key).status == .ok)
            let resolved = try await env.http.call(.patch, "/api/v1/follow-ups/\(caseOf[bob]!)", key: env.key,
                                                   json: ["status": "resolved", "outcome": "issue fixed"])
            #expect(resolved.json["resurvey"] is NSNull && resolved.json["resurvey_invitation_id"] is NSNull)
            let notes = (resolved.json["notes"] as? [[String: Any]])?.compactMap { $0["text"] as? String } ?? []
            #expect(notes.contains { $0.contains("No follow-up survey was sent") && $0.contains("paused") }, "\(notes)")
            #expect(try await SurveyInvitationTests.invitations(env, target).count == 1)

            let rule = try await env.http.call(.post, "/api/v1/surveys", key: env.key, json: SurveyTests.afterTicket.merging(
                ["settings": ["follow_up": ["resurvey_after_hours": 721]]]) { $1 })
            #expect(rule.status == .unprocessableContent && SurveyTests.field(rule) == "settings.follow_up.resurvey_after_hours")
        }
    }
}
