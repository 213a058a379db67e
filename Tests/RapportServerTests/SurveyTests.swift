import Foundation
import Hummingbird
import RapportWeb
import RapportCore
import Testing

/// Building surveys over HTTP: a survey with a follow-up in two languages, validation that names the field, the
/// lifecycle (draft → active ⇄ paused → closed), versions that keep what earlier answers meant, roles and tenancy.
@Suite("Surveys")
struct SurveyTests {
    nonisolated(unsafe) static let afterTicket: [String: Any] = [
        "name": "After a resolved ticket",
        "languages": ["en", "fr"],
        "questions": [
            ["id": "score", "type": "nps", "required": true,
             "text": ["en": "How likely are you to recommend Acme to a friend?", "fr": "Recommanderiez-vous Acme ?"],
             "low_label": "Not at all likely", "high_label": "Extremely likely"],
            ["id": "reason", "type": "text", "text": "What is the main reason for your score?",
             "show_if": ["question": "score", "band": ["detractor", "passive"]]],
        ],
        "settings": ["min_days_between": 90],
    ]

    static func field(_ reply: TestHTTP.Reply) -> String? {
        ((reply.json["error"] as? [String: Any])?["details"] as? [String: Any])?["field"] as? String
    }

    @Test func aSurveyIsBuiltAsADraftAndReadBackAsStored() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let made = try await http.call(.post, "/api/v1/surveys", key: acme.adminKey, json: Self.afterTicket)
            #expect(made.status == .created, "\(made.text)")
            #expect(made.string("status") == "draft" && made.json["version"] as? Int == 1)
            #expect(made.json["languages"] as? [String] == ["en", "fr"])
            let questions = try #require(made.json["questions"] as? [[String: Any]])
            #expect(questions.map { $0["id"] as? String } == ["score", "reason"])
            #expect((questions[0]["text"] as? [String: String])?["fr"] == "Recommanderiez-vous Acme ?")
            #expect((questions[0]["low_label"] as? [String: String]) == ["en": "Not at all likely"], "one text is the default language's")
            #expect((questions[1]["show_if"] as? [String: Any])?["band"] as? [String] == ["detractor", "passive"])
            let settings = try #require(made.json["settings"] as? [String: Any])
            #expect(settings["min_days_between"] as? Int == 90 && settings["edit_window_hours"] as? Int == 24
                && settings["once_per_person"] as? Bool == false)
            let id = try #require(made.string("id"))

            let read = try await http.get("/api/v1/surveys/\(id)", key: acme.adminKey)
            #expect(read.json["questions"] as? NSArray == made.json["questions"] as? NSArray)
            let listed = try await http.get("/api/v1/surveys", key: acme.adminKey)
            #expect(listed.data.compactMap { $0["id"] as? String } == [id], "\(listed.text)")
            #expect(try await http.get("/api/v1/surveys?status=active", key: acme.adminKey).data.isEmpty)
            let badStatus = try await http.get("/api/v1/surveys?status=maybe", key: acme.adminKey)
            #expect(badStatus.status == .badRequest, "\(badStatus.text)")
            let audit = try await http.get("/api/v1/audit-log?action=survey.created", key: acme.adminKey)
            #expect(audit.data.count == 1, "\(audit.text)")
        }
    }

    @Test func badSurveysAreRefusedNamingTheFieldAndNothingIsStored() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            var noName = Self.afterTicket
            noName["name"] = nil
            var badBand = Self.afterTicket
            badBand["questions"] = [["id": "score", "type": "csat", "scale": "thumbs", "text": "Happy?"],
                                    ["id": "why", "type": "text", "text": "Why?", "show_if": ["question": "score", "band": "neutral"]]]
            var extra = Self.afterTicket
            extra["colour"] = "red"
            var badLanguage = Self.afterTicket
            badLanguage["languages"] = ["en", "english!"]
            var badSetting = Self.afterTicket
            badSetting["settings"] = ["edit_window_hours": -1]
            for (body, field) in [(noName, "name"), (badBand, "questions[1].show_if.band"), (extra, "colour"),
                                  (badLanguage, "languages[1]"), (badSetting, "settings.edit_window_hours")] {
                let reply = try await http.call(.post, "/api/v1/surveys", key: acme.adminKey, json: body)
                #expect(reply.status == .unprocessableContent, "\(reply.text)")
                #expect(Self.field(reply) == field, "\(reply.text)")
            }
            let cut = try await http.call(.post, "/api/v1/surveys", key: acme.adminKey, raw: "{\"name\":",
                                          headers: [.contentType: "application/json"])
            #expect(cut.status == .badRequest, "\(cut.text)")
            #expect(try await http.get("/api/v1/surveys", key: acme.adminKey).data.isEmpty)
        }
    }

    @Test func editingAnActiveSurveyMakesANewVersionAndKeepsTheOldOne() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            let id = try #require(try await http.call(.post, "/api/v1/surveys", key: key, json: Self.afterTicket).string("id"))

            // A draft is rewritten in place.
            let renamed = try await http.call(.patch, "/api/v1/surveys/\(id)", key: key, json: [
                "questions": [["id": "score", "type": "nps", "text": "How likely are you to recommend us?"]]])
            #expect(renamed.status == .ok && renamed.json["version"] as? Int == 1, "\(renamed.text)")
            #expect((renamed.json["languages"] as? [String]) == ["en", "fr"], "languages not sent are kept")

            let active = try await http.call(.post, "/api/v1/surveys/\(id)/activate", key: key)
            #expect(active.string("status") == "active" && active.json["version"] as? Int == 1)

            // The name and settings are not versioned; the questions are.
            let named = try await http.call(.patch, "/api/v1/surveys/\(id)", key: key, json: ["name": "Ticket NPS"])
            #expect(named.json["version"] as? Int == 1 && named.string("name") == "Ticket NPS")
            let same = try await http.call(.patch, "/api/v1/surveys/\(id)", key: key, json: [
                "questions": [["id": "score", "type": "nps", "text": "How likely are you to recommend us?"]]])
            #expect(same.json["version"] as? Int == 1, "the same questions again are no new version")
            let changed = try await http.call(.patch, "/api/v1/surveys/\(id)", key: key, json: [
                "questions": [["id": "score", "type": "nps", "text": "How likely are you to recommend Acme?"],
                              ["id": "why", "type": "text", "text": "Why?"]]])
            #expect(changed.status == .ok && changed.json["version"] as? Int == 2, "\(changed.text)")

            let first = try await http.get("/api/v1/surveys/\(id)/versions/1", key: key)
            #expect(first.status == .ok && first.json["published"] as? Bool == true)
            let firstText = ((first.json["questions"] as? [[String: Any]])?.first?["text"] as? [String: String])?["en"]
            #expect(firstText == "How likely are you to recommend us?", "version 1 keeps its questions")
            let second = try await http.get("/api/v1/surveys/\(id)/versions/2", key: key)
            #expect((second.json["questions"] as? [Any])?.count == 2 && second.json["published"] as? Bool == true)
            #expect(try await http.get("/api/v1/surveys/\(id)/versions/3", key: key).status == .notFound)
            #expect(try await http.get("/api/v1/surveys/\(id)/versions/x", key: key).status == .notFound)

            // Edited while paused: a new version, published when the survey is active again.
            #expect(try await http.call(.post, "/api/v1/surveys/\(id)/pause", key: key).string("status") == "paused")
            let third = try await http.call(.patch, "/api/v1/surveys/\(id)", key: key, json: ["languages": ["en"]])
            #expect(third.json["version"] as? Int == 3, "\(third.text)")
            #expect(try await http.get("/api/v1/surveys/\(id)/versions/3", key: key).json["published"] as? Bool == false)
            #expect(try await http.call(.post, "/api/v1/surveys/\(id)/activate", key: key).string("status") == "active")
            #expect(try await http.get("/api/v1/surveys/\(id)/versions/3", key: key).json["published"] as? Bool == true)
        }
    }

    @Test func theLifecycleOnlyMovesForwardAndAUsedSurveyIsClosedNotDeleted() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            let id = try #require(try await http.call(.post, "/api/v1/surveys", key: key, json: Self.afterTicket).string("id"))
            let early = try await http.call(.post, "/api/v1/surveys/\(id)/close", key: key)
            #expect(early.status == .conflict && early.errorCode == "invalid_transition", "\(early.text)")
            #expect(try await http.call(.post, "/api/v1/surveys/\(id)/pause", key: key).status == .conflict)
            _ = try await http.call(.post, "/api/v1/surveys/\(id)/activate", key: key)
            let inUse = try await http.call(.delete, "/api/v1/surveys/\(id)", key: key)
            #expect(inUse.status == .conflict && inUse.errorCode == "survey_in_use")
            #expect(try await http.call(.post, "/api/v1/surveys/\(id)/close", key: key).string("status") == "closed")
            let closedEdit = try await http.call(.patch, "/api/v1/surveys/\(id)", key: key, json: ["name": "Again"])
            #expect(closedEdit.status == .conflict && closedEdit.errorCode == "survey_closed")
            #expect(try await http.call(.post, "/api/v1/surveys/\(id)/activate", key: key).status == .conflict)
            #expect(try await http.get("/api/v1/surveys/\(id)", key: key).string("name") == "After a resolved ticket")

            // A draft that was never active can go.
            let draft = try #require(try await http.call(.post, "/api/v1/surveys", key: key, json: Self.afterTicket).string("id"))
            #expect(try await http.call(.delete, "/api/v1/surveys/\(draft)", key: key).status == .noContent)
            #expect(try await http.get("/api/v1/surveys/\(draft)", key: key).status == .notFound)
            #expect(try await http.get("/api/v1/surveys/\(draft)/versions/1", key: key).status == .notFound)
        }
    }

    @Test func analystsReadAdminsBuildAndOtherWorkspacesSeeNothing() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let id = try #require(try await http.call(.post, "/api/v1/surveys", key: acme.adminKey, json: Self.afterTicket).string("id"))
            let reader = try await acme.key(services, scope: .read)
            let writer = try await acme.key(services, scope: .write)
            #expect(try await http.get("/api/v1/surveys/\(id)", key: reader).status == .ok)
            #expect(try await http.call(.post, "/api/v1/surveys", key: writer, json: Self.afterTicket).status == .forbidden)
            #expect(try await http.call(.patch, "/api/v1/surveys/\(id)", key: reader, json: ["name": "x"]).status == .forbidden)
            #expect(try await http.call(.post, "/api/v1/surveys/\(id)/activate", key: writer).status == .forbidden)

            let other = try await Fixture.make(services, name: "Other", ownerEmail: "owner@other.test")
            #expect(try await http.get("/api/v1/surveys/\(id)", key: other.adminKey).status == .notFound)
            #expect(try await http.get("/api/v1/surveys/\(id)/versions/1", key: other.adminKey).status == .notFound)
            #expect(try await http.call(.post, "/api/v1/surveys/\(id)/activate", key: other.adminKey).status == .notFound)
            #expect(try await http.call(.delete, "/api/v1/surveys/\(id)", key: other.adminKey).status == .notFound)
            #expect(try await http.get("/api/v1/surveys", key: other.adminKey).data.isEmpty)
            #expect(try await http.get("/api/v1/surveys/\(id)", key: acme.adminKey).string("status") == "draft")
        }
    }
}

/// The survey pages' models, rendered: the questions as customers read them (with the logic in words), the moves the
/// survey's life allows for admins only, responses with their band, and text escaped.
@Suite("Survey pages")
struct SurveyPageTests {
    @Test func aSurveyPageShowsItsQuestionsResponsesAndOnlyTheMovesItsLifeAllows() async throws {
        let web = try await WebRenderer.load()
        let definition = try SurveyDefinition.parse(languages: ["en"], questions: [
            ["id": "score", "type": "nps", "text": "How likely <really>?"],
            ["id": "reason", "type": "text", "text": "Why?", "show_if": ["question": "score", "band": ["detractor", "passive"]]],
        ])
        var survey = Survey(id: "s1", workspaceId: "w1", name: "Ticket <NPS>", definition: definition, createdBy: nil,
                            createdAt: 0, updatedAt: 0)
        let response = SurveyResponse(id: "r1", workspaceId: "w1", surveyId: "s1", version: 1, customerId: "c1", channel: "email",
                                      language: "en", answers: ["score": 3], score: 3, band: .detractor,
                                      attributes: ["agent": "sam"], status: .completed, submittedAt: 1_764_608_709_250,
                                      createdAt: 0, updatedAt: 0)
        var html = web.render(SurveyPage(survey: survey, responses: Page(items: [response], nextCursor: nil), canManage: true, flash: nil))
        #expect(html.contains("Ticket &lt;NPS&gt;") && html.contains("How likely &lt;really&gt;?"))
        #expect(html.contains("shown when score is detractor or passive"))
        #expect(html.contains("nps: 0–10"))
        #expect(html.contains("3 (detractor)") && html.contains("agent: sam") && html.contains(#"href="/customers/c1""#))
        #expect(html.contains(#"id="activate-survey""#) && !html.contains(#"id="close-survey""#), "a draft can only be activated")

        survey.status = .active
        html = web.render(SurveyPage(survey: survey, responses: Page(items: [], nextCursor: nil), canManage: true, flash: nil))
        #expect(html.contains(#"id="pause-survey""#) && html.contains(#"id="close-survey""#) && !html.contains(#"id="activate-survey""#))
        #expect(html.contains("No responses yet."))
        html = web.render(SurveyPage(survey: survey, responses: Page(items: [], nextCursor: nil), canManage: false, flash: nil))
        #expect(!html.contains(#"id="pause-survey""#), "analysts see no moves")
        survey.status = .closed
        html = web.render(SurveyPage(survey: survey, responses: Page(items: [], nextCursor: nil), canManage: true, flash: nil))
        #expect(!html.contains("<form"), "a closed survey has no moves")
    }

    @Test func theInvitationSummaryNamesWhyInvitationsWereHeldBackAndAgentsCanInviteASegment() async throws {
        let web = try await WebRenderer.load()
        let definition = try SurveyDefinition.parse(languages: ["en"], questions: [["id": "score", "type": "nps", "text": "How likely?"]])
        let survey = Survey(id: "s1", workspaceId: "w1", name: "NPS", status: .active, definition: definition, createdBy: nil,
                            createdAt: 0, updatedAt: 0)
        let segment = Segment(id: "g1", workspaceId: "w1", name: "VIP <gold>", description: nil, rule: .all([]), createdAt: 0, updatedAt: 0)
        let counts = (byStatus: ["sent": 4, "suppressed": 3, "responded": 2], byReason: ["recontact_period": 2, "no_consent": 1])
        var html = web.render(SurveyPage(survey: survey, responses: Page(items: [], nextCursor: nil), canManage: false, flash: nil,
                                         invitationCounts: counts, canInvite: true, segments: [segment]))
        #expect(html.contains("4 sent · 3 suppressed (1 no consent, 2 recontact period) · 2 responded"), "\(html)")
        #expect(html.contains(#"action="/surveys/s1/invite""#) && html.contains("VIP &lt;gold&gt;"))
        html = web.render(SurveyPage(survey: survey, responses: Page(items: [], nextCursor: nil), canManage: false, flash: nil,
                                     canInvite: false, segments: [segment]))
        #expect(html.contains("No invitations yet.") && !html.contains("invite-form"), "analysts cannot invite")
    }

    @Test func theHostedPageProposesTheLinkedScoreAndShowsTheFollowUpInTheCustomersLanguage() async throws {
        let web = try await WebRenderer.load()
        let definition = try SurveyDefinition.parse(languages: ["en", "fr"], questions: [
            ["id": "score", "type": "nps", "required": true, "text": ["en": "How likely?", "fr": "Quelle probabilité ?"],
             "low_label": ["en": "Not likely", "fr": "Peu probable"], "high_label": ["en": "Very likely", "fr": "Très probable"]],
            ["id": "reason", "type": "text", "text": ["en": "Why?", "fr": "Pourquoi ?"],
             "show_if": ["question": "score", "band": ["detractor"]]],
        ])
        var state = SurveyPageState(workspaceName: "Acme <Co>", surveyName: "After your ticket", definition: definition,
                                    language: "fr", answers: [:], questions: definition.visibleQuestions(answers: [:]),
                                    stage: .asking, proposedScore: 4, saved: false)
        var html = web.render(TakeSurveyPage(state: state, actionURL: "/s/tok"))
        #expect(html.contains(#"<html lang="fr">"#) && html.contains("Quelle probabilité ?") && html.contains("Peu probable"))
        #expect(html.contains(#"value="4" checked"#) && html.contains("survey-confirm") && html.contains("Acme &lt;Co&gt;"))
        #expect(html.contains(#"<legend>"#) && html.contains(#"<label for="a_score_10">10</label>"#), "each score is a labelled radio")
        #expect(!html.contains("Pourquoi ?"), "the follow-up waits for a detractor's score")

        state.answers = ["score": 4]
        state.questions = definition.visibleQuestions(answers: state.answers)
        state.proposedScore = nil
        state.saved = true
        html = web.render(TakeSurveyPage(state: state, actionURL: "/s/tok"))
        #expect(html.contains("Pourquoi ?") && html.contains("survey-saved") && !html.contains("survey-confirm"))

        state.stage = .finished(editableUntil: 1_764_608_709_250)
        html = web.render(TakeSurveyPage(state: state, actionURL: "/s/tok"))
        #expect(html.contains("survey-thanks") && html.contains(#"href="/s/tok?edit=1""#) && !html.contains("<form"))
        html = web.render(TakeSurveyPage(state: state, actionURL: "/s/tok", editing: true))
        #expect(html.contains("<form") && html.contains(#"value="4" checked"#), "editing shows the answers given")
        state.stage = .closed
        html = web.render(TakeSurveyPage(state: state, actionURL: "/s/tok"))
        #expect(html.contains("survey-closed") && !html.contains("<form"))
    }
}
