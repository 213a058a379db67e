import Foundation
import Hummingbird
import RapportCore
import RapportRuntime
import RapportServer
import Testing

/// The survey builder as a browser without JavaScript uses it: whole forms posted with their buttons, over the real
/// app in-process (SQLite, and PostgreSQL when `RAPPORT_TEST_DATABASE_URL` names it).
@Suite("Survey builder")
struct SurveyBuilderTests {
    typealias Browser = BrowserSessionTests.Browser

    /// Posts `pairs` as a form (names may repeat, as checkboxes do) with the session's CSRF token.
    static func post(_ browser: inout Browser, _ uri: String, _ pairs: [(String, String)], csrf: String) async throws -> TestHTTP.Reply {
        var allowed = CharacterSet.alphanumerics
        allowed.remove(charactersIn: "+")
        let body = ([("_csrf", csrf)] + pairs).map {
            "\($0.0.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
        }.joined(separator: "&")
        return try await browser.request(.post, uri, headers: [.contentType: "application/x-www-form-urlencoded"], raw: body)
    }

    /// The editor's fields for a two-question survey: an NPS score (English and French) and a single choice shown to
    /// passives and promoters, with its choices in both languages.
    static func twoQuestions(name: String = "Onboarding", choices: String = "fast | Fast answers\nfriendly | Friendly staff") -> [(String, String)] {
        [("name", name), ("languages", "en, fr"),
         ("q0_id", "score"), ("q0_type", "nps"), ("q0_required", "1"),
         ("q0_text_en", "How likely are you to recommend Acme?"), ("q0_text_fr", "Recommanderiez-vous Acme ?"),
         ("q0_low_en", "Not at all likely"), ("q0_high_en", "Extremely likely"),
         ("q1_id", "liked"), ("q1_type", "single_choice"), ("q1_text_en", "What did you like most?"),
         ("q1_text_fr", "Qu'avez-vous préféré ?"), ("q1_options_en", choices), ("q1_options_fr", "Réponses rapides\nPersonnel aimable"),
         ("q1_show_question", "score"), ("q1_show_band", "passive"), ("q1_show_band", "promoter"),
         ("edit_window_hours", "24"), ("max_reminders", "1"), ("follow_up_enabled", "1"), ("follow_up_band", "detractor"),
         ("follow_up_due_hours", "48")]
    }

    /// Signs the owner in and builds a draft through the list page's "Build a custom survey" form.
    static func startDraft(_ http: TestHTTP, _ browser: inout Browser) async throws -> (id: String, csrf: String) {
        try await browser.signIn()
        let list = try await browser.request(.get, "/surveys")
        let csrf = try #require(Browser.meta(list.text))
        let created = try await Self.post(&browser, "/surveys", [("op", "build"), ("custom_name", "Onboarding")], csrf: csrf)
        #expect(created.status == .seeOther)
        let location = try #require(created.headers[.location])
        #expect(location.hasSuffix("/edit?done=created"), "\(location)")
        let id = String(location.dropFirst("/surveys/".count).prefix { $0 != "/" })
        return (id, csrf)
    }

    @Test func aSurveyWithAChoiceATranslationAndLogicIsBuiltThroughTheForm() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            var browser = Browser(http: http)
            let (id, csrf) = try await Self.startDraft(http, &browser)
            let editor = try await browser.request(.get, "/surveys/\(id)/edit?done=created")
            #expect(editor.status == .ok && editor.text.contains(#"name="q0_text_en""#) && editor.text.contains("A draft with one NPS question"))

            // "Add question" round-trips the form and appends a choice question with two choices to start from.
            var pairs = Array(Self.twoQuestions().prefix(8))
            pairs += [("new_type", "single_choice"), ("op", "add")]
            let added = try await Self.post(&browser, "/surveys/\(id)/edit", pairs, csrf: csrf)
            #expect(added.status == .ok)
            #expect(added.text.contains(#"name="q1_options_en""#) && added.text.contains("option_1 | Option 1"))
            #expect(added.text.contains(#"name="q1_text_fr""#), "a French field for each text once fr is a language")

            let saved = try await Self.post(&browser, "/surveys/\(id)/edit", Self.twoQuestions() + [("op", "save")], csrf: csrf)
            #expect(saved.status == .seeOther && saved.headers[.location] == "/surveys/\(id)/edit?done=saved", "\(saved.text)")

            let stored = try await http.get("/api/v1/surveys/\(id)", key: acme.adminKey)
            #expect(stored.json["languages"] as? [String] == ["en", "fr"] && stored.json["version"] as? Int == 1)
            let questions = try #require(stored.json["questions"] as? [[String: Any]])
            #expect(questions.count == 2)
            #expect((questions[0]["text"] as? [String: String])?["fr"] == "Recommanderiez-vous Acme ?")
            #expect(questions[0]["required"] as? Bool == true && questions[1]["type"] as? String == "single_choice")
            let options = try #require(questions[1]["options"] as? [[String: Any]])
            #expect(options.map { $0["id"] as? String } == ["fast", "friendly"])
            #expect((options[1]["text"] as? [String: String]) == ["en": "Friendly staff", "fr": "Personnel aimable"])
            let rule = try #require(questions[1]["show_if"] as? [String: Any])
            #expect(rule["question"] as? String == "score" && rule["band"] as? [String] == ["passive", "promoter"])

            // Read back into the form as stored.
            let again = try await browser.request(.get, "/surveys/\(id)/edit?done=saved")
            #expect(again.text.contains("fast | Fast answers") && again.text.contains("Personnel aimable"))
            #expect(again.text.contains(#"value="promoter" checked"#) && again.text.contains("Saved. Answers from now on follow version 1."))
        }
    }

    @Test func roundTripsWithoutJavaScriptKeepWhatWasTyped() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            var browser = Browser(http: http)
            let (id, csrf) = try await Self.startDraft(http, &browser)
            var typed = Self.twoQuestions(name: "Typed, not saved")
            typed = typed.filter { $0.0 != "q1_show_question" && !$0.0.hasPrefix("q1_show_band") }

            // Move the choice question up: its fields (and their translations) now come first, nothing is saved.
            let moved = try await Self.post(&browser, "/surveys/\(id)/edit", typed + [("op", "up-1")], csrf: csrf)
            #expect(moved.status == .ok)
            let html = moved.text
            #expect(html.contains(#"id="q0-id" name="q0_id" value="liked""#) && html.contains(#"id="q1-id" name="q1_id" value="score""#))
            #expect(html.contains(#"value="Typed, not saved""#) && html.contains("avez-vous préféré ?"))
            #expect(html.contains("friendly | Friendly staff") && html.contains("Personnel aimable"))

            // Remove the first (the score): the choice question is left, alone; the stored draft is still the one NPS
            // question named Onboarding.
            let removed = try await Self.post(&browser, "/surveys/\(id)/edit", typed + [("op", "remove-0")], csrf: csrf)
            #expect(removed.status == .ok && !removed.text.contains(#"name="q1_id""#))
            #expect(removed.text.contains(#"name="q0_id" value="liked""#) && removed.text.contains("friendly | Friendly staff"))
            let survey = try await Self.stored(http, acme.adminKey, id)
            #expect(survey.name == "Onboarding" && survey.questions == 1)
        }
    }

    @Test func aRefusedSaveShowsTheMessageBesideItsFieldWithTheValuesKept() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            var browser = Browser(http: http)
            let (id, csrf) = try await Self.startDraft(http, &browser)
            let refused = try await Self.post(&browser, "/surveys/\(id)/edit",
                                         Self.twoQuestions(choices: "only | Only one choice") + [("op", "save")], csrf: csrf)
            #expect(refused.status == .unprocessableContent)
            let html = refused.text
            let beside = try #require(html.range(of: #"<p class="field-error" id="err-q1-options">"#), "\(html)")
            #expect(html[beside.upperBound...].hasPrefix("questions[1].options must be a list of 2–20 choices."))
            #expect(html.contains("Not saved: questions[1].options must be a list"))
            #expect(html.contains("only | Only one choice") && html.contains(#"value="Recommanderiez-vous Acme ?""#), "what was typed stays")

            // A setting's error stands beside the setting.
            var bad = Self.twoQuestions().filter { $0.0 != "edit_window_hours" }
            bad.append(("edit_window_hours", "a week"))
            let setting = try await Self.post(&browser, "/surveys/\(id)/edit", bad + [("op", "save")], csrf: csrf)
            #expect(setting.status == .unprocessableContent && setting.text.contains(#"id="err-edit-window-hours""#))
            #expect(setting.text.contains(#"value="a week""#))

            // The Preview button shows the draft's problem beside its field too; the survey is unchanged.
            let previewed = try await Self.post(&browser, "/surveys/\(id)/edit",
                                           Self.twoQuestions(choices: "only | Only one choice") + [("op", "preview")], csrf: csrf)
            #expect(previewed.status == .unprocessableContent && previewed.text.contains(#"id="err-q1-options""#))
            #expect(previewed.text.contains(#"data-testid="preview-problem""#))
            #expect(try await Self.stored(http, acme.adminKey, id).questions == 1)
        }
    }

    @Test func editingAnActiveSurveyMakesVersionTwoAndEarlierResponsesKeepVersionOne() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            var browser = Browser(http: http)
            let (id, csrf) = try await Self.startDraft(http, &browser)
            #expect(try await Self.post(&browser, "/surveys/\(id)/edit", Self.twoQuestions() + [("op", "save")], csrf: csrf).status == .seeOther)
            #expect(try await Self.post(&browser, "/surveys/\(id)/activate", [], csrf: csrf).status == .seeOther)
            let answered = try await http.call(.post, "/api/v1/surveys/\(id)/responses", key: acme.adminKey, json: [
                "email": "mia@example.com", "answers": ["score": 9, "liked": "fast"]])
            #expect(answered.status == .created && answered.json["version"] as? Int == 1, "\(answered.text)")

            let editor = try await browser.request(.get, "/surveys/\(id)/edit")
            #expect(editor.text.contains("saving changes to its questions or languages makes version 2"))
            var changed = Self.twoQuestions()
            changed[5] = ("q0_text_en", "How likely are you to recommend Acme to a friend?")
            let saved = try await Self.post(&browser, "/surveys/\(id)/edit", changed + [("op", "save")], csrf: csrf)
            #expect(saved.status == .seeOther)

            let survey = try await http.get("/api/v1/surveys/\(id)", key: acme.adminKey)
            #expect(survey.json["version"] as? Int == 2 && survey.string("status") == "active")
            let first = try await http.get("/api/v1/surveys/\(id)/versions/1", key: acme.adminKey)
            #expect(((first.json["questions"] as? [[String: Any]])?.first?["text"] as? [String: String])?["en"]
                    == "How likely are you to recommend Acme?")
            let responses = try await http.get("/api/v1/surveys/\(id)/responses", key: acme.adminKey)
            #expect(responses.data.count == 1 && responses.data.first?["version"] as? Int == 1, "the earlier answer keeps version 1")
            #expect(try await browser.request(.get, "/surveys/\(id)/edit?done=saved").text.contains("follow version 2"))
        }
    }

    @Test func thePreviewRendersTheHostedPageAndTheEmailOfTheDraftAndSavesNothing() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            var browser = Browser(http: http)
            let (id, csrf) = try await Self.startDraft(http, &browser)
            let draft = Self.twoQuestions(name: "Draft <b>name</b>") + [("preview_language", "fr"), ("preview_score", "9")]
            let reply = try await Self.post(&browser, "/surveys/\(id)/preview", draft, csrf: csrf)
            #expect(reply.status == .ok, "\(reply.text)")
            let html = reply.text
            #expect(!html.contains("<html"), "a fragment, not a page")
            // The hosted page in French, escaped into the sandboxed frame's srcdoc; the score reveals the choice question.
            #expect(html.contains(#"sandbox="" title="Preview of the hosted survey page" srcdoc="&lt;!doctype html&gt;"#), "\(html)")
            #expect(html.contains("Recommanderiez-vous Acme ?") && html.contains("Personnel aimable"))
            #expect(html.contains("Draft &amp;lt;b&amp;gt;name&amp;lt;/b&amp;gt;"), "the draft's name, escaped in the page and again in the attribute")
            #expect(html.contains(#"action=&quot;/s/preview&quot;"#), "the page's form leads nowhere")
            // The email as sent: the workspace's subject, the score links, the unsubscribe footer, the text part.
            #expect(html.contains(#"data-testid="preview-subject">Acme would like your opinion<"#))
            #expect(html.contains("/s/preview?score=10") && html.contains("Unsubscribe"))
            #expect(html.contains("Recommanderiez-vous Acme ?\n0: http://") || html.contains("Recommanderiez-vous Acme ?\n0: "), "\(html)")
            #expect(html.contains("alex.sample@example.com"))

            // In English without a score the choice question is hidden, as a customer would first see the page.
            let english = try await Self.post(&browser, "/surveys/\(id)/preview", Self.twoQuestions(), csrf: csrf)
            #expect(english.text.contains("How likely are you to recommend Acme?") && !english.text.contains("What did you like most?"))

            // A draft that does not pass says why (422) and the page's script keeps the form.
            let broken = try await Self.post(&browser, "/surveys/\(id)/preview", Self.twoQuestions(choices: "one"), csrf: csrf)
            #expect(broken.status == .unprocessableContent && broken.text.contains("questions[1].options must be a list of 2–20 choices."))

            let survey = try await Self.stored(http, acme.adminKey, id)
            #expect(survey.name == "Onboarding" && survey.questions == 1, "previews save nothing")
            #expect(try await http.get("/api/v1/emails", key: acme.adminKey).data.isEmpty, "and queue no email")
        }
    }

    @Test func analystsReadTheBuilderButCannotPostIt() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            _ = try await services.team.add(nil, workspaceId: acme.workspace.id, email: "ana@acme.test", role: .analyst, name: "Ana",
                                            password: "correct horse battery")
            var owner = Browser(http: http)
            let (id, _) = try await Self.startDraft(http, &owner)

            var analyst = Browser(http: http)
            try await analyst.signIn("ana@acme.test")
            let page = try await analyst.request(.get, "/surveys/\(id)/edit")
            #expect(page.status == .ok && page.text.contains(#"data-testid="read-only""#))
            #expect(page.text.contains(#"<fieldset class="plain" disabled>"#) && !page.text.contains(#"id="save-survey""#))
            #expect(page.text.contains(#"data-testid="preview-page""#), "analysts see the preview of the stored survey")
            let csrf = try #require(Browser.meta(page.text))
            for op in ["save", "add", "preview"] {
                let refused = try await Self.post(&analyst, "/surveys/\(id)/edit", Self.twoQuestions() + [("op", op)], csrf: csrf)
                #expect(refused.status == .forbidden, "\(op)")
            }
            let preview = try await Self.post(&analyst, "/surveys/\(id)/preview", [("preview_language", "en")], csrf: csrf)
            #expect(preview.status == .ok && preview.text.contains("How likely are you to recommend us"), "the stored survey")
            #expect(try await Self.stored(http, acme.adminKey, id).questions == 1)

            // Another workspace's survey is not found.
            _ = try await Fixture.make(services, name: "Other", ownerEmail: "owner@other.test")
            var stranger = Browser(http: http)
            try await stranger.signIn("owner@other.test")
            #expect(try await stranger.request(.get, "/surveys/\(id)/edit").status == .notFound)
        }
    }

    /// The survey's name and question count as stored, read through the API.
    static func stored(_ http: TestHTTP, _ key: String, _ id: String) async throws -> (name: String, questions: Int) {
        let survey = try await http.get("/api/v1/surveys/\(id)", key: key)
        return (survey.string("name") ?? "", (survey.json["questions"] as? [Any])?.count ?? -1)
    }
}
