import Foundation
import HTTPTypes
import Hummingbird
import RapportCore
import RapportServer
import RapportWeb
import Testing

/// Issue 12's design points that live in page models and templates: "you are here" in the navigation, a skip link,
/// the timeline saying what happened, counts in words, a new key's examples, and the audit log of consent and segment
/// changes (written in the change's own transaction, on SQLite and PostgreSQL).
@Suite("Pages for people: navigation, timeline details, counts, new keys, audit of consent and segments")
struct PagesForPeopleTests {
    static let chrome = PageChrome(csrf: "tok", user: .init(email: "ann@example.com", role: "admin", isAdmin: true, isOwner: false),
                                   workspace: .init(id: "w1", name: "Acme", current: true),
                                   workspaces: [.init(id: "w1", name: "Acme", current: true)])

    @Test func theNavigationMarksTheCurrentSectionOnlyAndTheLayoutHasASkipLinkAndAnIcon() async throws {
        let web = try await WebRenderer.load()
        let html = web.render(ApiKeysPage(keys: [], newSecret: nil, error: nil), chrome: Self.chrome)
        #expect(html.contains(#"<a href="/settings/api-keys" aria-current="page">"#), "\(html)")
        #expect(html.components(separatedBy: #"aria-current="page""#).count == 2, "exactly one item is current")
        #expect(html.contains(##"<a class="skip-link" href="#main">"##) && html.contains(#"<main id="main""#))
        #expect(html.contains(#"<link rel="icon" href="/static/favicon.svg""#))
        #expect(html.contains(##"<use href="/static/icons.svg#key">"##))
        let customers = web.render(SegmentsPage(segments: [], canWrite: false, form: nil), chrome: Self.chrome)
        #expect(customers.contains(#"<a href="/segments" aria-current="page">"#))
        #expect(ApiKeysPage.section == .apiKeys && SurveyEditorPage.section == .surveys && LoginPage.section == nil)
        #expect(web.assets["icons.svg"]?.contentType == "image/svg+xml; charset=utf-8")
        #expect(web.assets["favicon.svg"] != nil)
    }

    @Test func theTimelineSaysWhatHappened() {
        let consent = TimelineDetail.of(.consent, properties: ["purpose": "marketing_email", "channel": "email",
                                                                "status": "withdrawn", "source": "api"])
        #expect(consent.map(\.key) == ["status", "channel", "source"])
        #expect(consent.first?.value == "withdrawn")
        let order = TimelineDetail.of(.order, properties: [
            "order_id": "A-1", "total": 39, "currency": "EUR", "status": "completed",
            "products": [["name": "Mug", "price": 9.5, "quantity": 2], ["name": "Tee", "price": 20]],
        ])
        #expect(order == [TimelineDetail(key: "total", value: "39.00 EUR"), TimelineDetail(key: "items", value: "3")])
        let survey = TimelineDetail.of(.surveyResponse, properties: [
            "score": 3, "band": "detractor", "channel": "api", "answers": ["score": 3, "reason": "Slow"],
        ])
        #expect(survey.map { "\($0.key): \($0.value)" } == ["score: 3 (detractor)", "channel: api", "reason: Slow"])
        let event = TimelineDetail.of(.track, properties: [
            "plan": "pro", "seats": 12, "annual": true, "gone": .null, "note": .string(String(repeating: "x", count: 200)),
            "billing": ["country": "DE", "vat": "DE1"], "tags": ["beta", "eu"], "lines": [["a": 1], ["b": 2]],
        ])
        let pairs = Dictionary(uniqueKeysWithValues: event.map { ($0.key, $0.value) })
        #expect(pairs["plan"] == "pro" && pairs["seats"] == "12" && pairs["annual"] == "yes" && pairs["gone"] == nil)
        #expect(pairs["billing"] == "2 fields" && pairs["tags"] == "beta, eu" && pairs["lines"] == "2 items")
        #expect(pairs["note"] == String(repeating: "x", count: 79) + "…")
        let many = TimelineDetail.of(.track, properties: .object(Dictionary(uniqueKeysWithValues: (1...12).map { ("k\($0)", JSONValue.number(Double($0))) })))
        #expect(many.count == TimelineDetail.limit && many.last == TimelineDetail(key: "and", value: "5 more fields"))
    }

    @Test(arguments: [(0, "0 orders"), (1, "1 order"), (2, "2 orders")])
    func countsAgreeWithTheirNouns(count: Int, text: String) {
        #expect(Plural.count(count, "order") == text)
    }

    @Test func aNewKeyComesWithTheSnippetOrTheCurlCallThatUsesIt() async throws {
        let web = try await WebRenderer.load()
        let track = web.render(ApiKeysPage(keys: [], newSecret: "rk_secret", newScope: .track, publicURL: "https://cx.example.com/",
                                           error: nil), chrome: Self.chrome)
        #expect(track.contains(#"&lt;script src=&quot;https://cx.example.com/rapport.js&quot; data-write-key=&quot;rk_secret&quot;&gt;"#),
                "\(track)")
        #expect(track.contains("curl -u &#39;rk_secret:&#39;") || track.contains("curl -u 'rk_secret:'"), "\(track)")
        #expect(track.contains("https://cx.example.com/v1/track"))
        #expect(track.contains(##"data-copy="#new-secret""##))
        let rest = web.render(ApiKeysPage(keys: [], newSecret: "rk_rest", newScope: .read, publicURL: "http://localhost:8080",
                                          error: nil), chrome: Self.chrome)
        #expect(rest.contains("Bearer rk_rest") && rest.contains("http://localhost:8080/api/v1/customers?limit=10"))
        #expect(!rest.contains("rapport.js"))
        let none = web.render(ApiKeysPage(keys: [], newSecret: nil, error: nil), chrome: Self.chrome)
        #expect(!none.contains("new-secret") && !none.contains("curl"))
    }

    @Test func consentAndSegmentChangesAreAuditedAndShownInWords() async throws {
        try await TrackingTests.run { ws, _ in
            let key = ws.fixture.adminKey
            let reply = try await ws.batch([["type": "identify", "userId": "a-1", "traits": ["email": "ada@example.com"]]])
            #expect(reply.status == .ok)
            let id = try #require(try await ws.customers(search: "ada").first?["id"] as? String)
            let consent = try await ws.http.call(.post, "/api/v1/customers/\(id)/consents", key: key,
                                                 json: ["purpose": "marketing_email", "channel": "email", "status": "granted"])
            #expect(consent.status == .created, "\(consent.text)")
            let refused = try await ws.http.call(.post, "/api/v1/customers/\(id)/consents", key: key,
                                                 json: ["purpose": "marketing_email", "channel": "pigeon", "status": "granted"])
            #expect(refused.status == .unprocessableContent)
            let created = try await ws.http.call(.post, "/api/v1/segments", key: key, json: [
                "name": "Pros", "rule": ["field": "trait.plan", "op": "eq", "value": "pro"]])
            #expect(created.status == .created, "\(created.text)")
            let segmentId = try #require(created.json["id"] as? String)
            let badRule = try await ws.http.call(.post, "/api/v1/segments", key: key, json: ["name": "Bad", "rule": ["op": "nope"]])
            #expect(badRule.status == .unprocessableContent, "\(badRule.text)")
            let renamed = try await ws.http.call(.patch, "/api/v1/segments/\(segmentId)", key: key, json: ["name": "Pro plan"])
            #expect(renamed.status == .ok, "\(renamed.text)")
            #expect(try await ws.http.call(.delete, "/api/v1/segments/\(segmentId)", key: key).status == .noContent)

            func entries(_ action: String) async throws -> [[String: Any]] {
                try await ws.http.get("/api/v1/audit-log?action=\(action)", key: key).data
            }
            let consents = try await entries("consent.recorded")
            #expect(consents.count == 1, "the refused change records nothing")
            #expect(consents.first?["target_id"] as? String == id)
            let details = consents.first?["details"] as? [String: Any]
            #expect(details?["status"] as? String == "granted" && details?["channel"] as? String == "email")
            #expect(try await entries("segment.created").count == 1, "the bad rule records nothing")
            let updated = try await entries("segment.updated")
            #expect((updated.first?["details"] as? [String: Any])?["name"] as? String == "Pro plan")
            #expect((try await entries("segment.deleted").first?["details"] as? [String: Any])?["name"] as? String == "Pro plan")
            // An agent may not read the log.
            let agent = try await ws.fixture.key(ws.http.services, scope: .write)
            #expect(try await ws.http.get("/api/v1/audit-log", key: agent).status == .forbidden)
        }
    }

    @Test func theAuditPageNamesActionsInWordsAndLinksTheirTargets() async throws {
        let web = try await WebRenderer.load()
        let entry = AuditEntry(id: "e1", workspaceId: "w1", occurredAt: WebPageModelTests.moment,
                               actor: AuditActor(type: .user, id: "u1", label: "ann@example.com"), action: "consent.recorded",
                               targetType: "customer", targetId: "c1", ip: nil,
                               details: ["status": "granted", "channel": "email"])
        let html = web.render(AuditLogPage(entries: Page(items: [entry], nextCursor: nil)), chrome: Self.chrome)
        #expect(html.contains("Consent recorded<br><code class=\"muted\">consent.recorded</code>"), "\(html)")
        #expect(html.contains(#"<a href="/customers/c1"><code>customer c1</code></a>"#))
        #expect(html.contains("<dt>channel</dt><dd>email</dd>"))
        #expect(AuditLogPage.words("api_key.revoked") == "API key revoked")
    }
}
