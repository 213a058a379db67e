import Foundation
import Hummingbird
import RapportCore
import RapportMail
import RapportRuntime
import Testing

/// The email outbox over HTTP: queuing rendered emails, the contact rules at queue time (consent, suppression list),
/// templates, validation, roles and tenancy, and the unsubscribe links. Delivery to a real SMTP server (retries on 4xx,
/// suppression on 5xx, kill -9 between queue and send) is in e2e/test_email_outbox.py.
@Suite("Email outbox")
struct EmailOutboxTests {
    /// SMTP pointed at a closed port: emails are queued (and their sends fail temporarily, which keeps them queued).
    static func withSMTP(_ config: inout AppConfig) {
        var smtp = try! SMTPSettings(url: "smtp://127.0.0.1:9?security=none")
        smtp.from = try! EmailAddress(parsing: "Rapport <noreply@rapport.test>")
        config.smtp = smtp
        config.publicURL = "https://cx.example.com"
    }

    static func customer(_ http: TestHTTP, _ key: String, traits: [String: Any]) async throws -> String {
        let made = try await http.call(.post, "/api/v1/customers", key: key, json: ["traits": traits])
        return try #require(made.string("id"), "\(made.text)")
    }

    @Test func withoutAnSMTPServerNothingIsQueued() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let reply = try await http.call(.post, "/api/v1/emails", key: acme.adminKey,
                                            json: ["to": "ann@example.com", "subject": "Hi", "text": "Hello"])
            #expect(reply.status == .conflict)
            #expect(reply.errorCode == "email_not_configured")
            #expect(try await http.get("/api/v1/emails", key: acme.adminKey).data.isEmpty)
        }
    }

    @Test func anEmailIsRenderedForTheCustomerAndQueuedAsAJob() async throws {
        try await TestApp.run(configure: Self.withSMTP) { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            let ann = try await Self.customer(http, key, traits: ["email": "Ann@Example.com", "first_name": "Ann <3"])
            let reply = try await http.call(.post, "/api/v1/emails", key: key, json: [
                "customer_id": ann, "purpose": "surveys", "subject": "Thanks, {{customer.first_name}}",
                "text": "Hi {{customer.first_name}}, order {{data.order_id}}.\nLeave: {{unsubscribe_url}}",
                "html": "<p>Hi {{customer.first_name}} from {{workspace.name}}</p>", "data": ["order_id": "A-17"]])
            #expect(reply.status == .accepted, "\(reply.text)")
            #expect(reply.string("state") == "queued")
            #expect(reply.string("to") == "Ann@Example.com")
            #expect(reply.string("subject") == "Thanks, Ann <3")
            let text = try #require(reply.string("text"))
            #expect(text.hasPrefix("Hi Ann <3, order A-17.\nLeave: https://cx.example.com/unsubscribe/"))
            #expect(!text.contains("Unsubscribe:"), "the template placed the link itself; no footer is added")
            let html = try #require(reply.string("html"))
            #expect(html.contains("<p>Hi Ann &lt;3 from Acme</p>"), "HTML escapes what it inserts: \(html)")
            #expect(html.contains("/unsubscribe/"), "a footer with the link is added to the HTML part")
            #expect(reply.string("message_id")?.hasSuffix("@cx.example.com") == true)
            let id = try #require(reply.string("id"))

            let jobs = try await http.get("/api/v1/jobs?kind=email.send", key: key).data
            #expect(jobs.count == 1)
            #expect(jobs.first?["state"] as? String == "queued" || jobs.first?["state"] as? String == "running")
            let listed = try await http.get("/api/v1/emails?customer_id=\(ann)", key: key).data
            #expect(listed.compactMap { $0["id"] as? String } == [id])
            #expect(try await http.get("/api/v1/emails?state=sent", key: key).data.isEmpty)
            #expect(try await http.get("/api/v1/emails?state=exploded", key: key).status == .badRequest)

            // Service messages (no purpose) carry no unsubscribe link.
            let service = try await http.call(.post, "/api/v1/emails", key: key, json: [
                "to": "ops@example.com", "subject": "Report", "text": "All good."])
            #expect(service.status == .accepted)
            #expect(service.string("text") == "All good.")
            #expect(service.json["purpose"] is NSNull)

            // Another workspace sees none of it.
            let other = try await Fixture.make(services, name: "Other", ownerEmail: "owner@other.test")
            #expect(try await http.get("/api/v1/emails/\(id)", key: other.adminKey).status == .notFound)
            #expect(try await http.get("/api/v1/emails", key: other.adminKey).data.isEmpty)
            let foreign = try await http.call(.post, "/api/v1/emails", key: other.adminKey, json: [
                "customer_id": ann, "subject": "Hi", "text": "Hello"])
            #expect(foreign.status == .notFound, "\(foreign.text)")
        }
    }

    @Test func contactRulesBlockAnEmailAndTheTimelineSaysWhy() async throws {
        try await TestApp.run(configure: Self.withSMTP) { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            let ann = try await Self.customer(http, key, traits: ["email": "ann@example.com"])
            // marketing_email is opt-in: nothing recorded means no.
            let marketing = try await http.call(.post, "/api/v1/emails", key: key, json: [
                "customer_id": ann, "purpose": "marketing_email", "subject": "Sale", "text": "50% off"])
            #expect(marketing.status == .accepted)
            #expect(marketing.string("state") == "blocked")
            #expect(marketing.string("reason")?.contains("opt-in") == true, "\(marketing.text)")
            // surveys is opt-out: withdrawn means no.
            _ = try await http.call(.post, "/api/v1/customers/\(ann)/consents", key: key, json: [
                "purpose": "surveys", "channel": "email", "status": "withdrawn"])
            let survey = try await http.call(.post, "/api/v1/emails", key: key, json: [
                "customer_id": ann, "purpose": "surveys", "subject": "How did we do?", "text": "Tell us"])
            #expect(survey.string("state") == "blocked")
            // A suppressed address blocks even a service message, whatever the case of the address.
            let added = try await http.call(.post, "/api/v1/email/suppressions", key: key, json: ["address": "ANN@example.com", "note": "asked by phone"])
            #expect(added.status == .created, "\(added.text)")
            #expect(added.string("address") == "ann@example.com")
            let service = try await http.call(.post, "/api/v1/emails", key: key, json: [
                "customer_id": ann, "subject": "Your invoice", "text": "Attached"])
            #expect(service.string("state") == "blocked")
            #expect(service.string("reason")?.contains("suppression list") == true)
            #expect(try await http.get("/api/v1/jobs?kind=email.send", key: key).data.isEmpty, "blocked emails get no job")

            let timeline = try await http.get("/api/v1/customers/\(ann)/timeline?type=email", key: key).data
            #expect(timeline.count == 3)
            let states = timeline.compactMap { ($0["properties"] as? [String: Any])?["state"] as? String }
            #expect(states == ["blocked", "blocked", "blocked"])

            // Off the list again; the suppression list is audited.
            #expect(try await http.call(.delete, "/api/v1/email/suppressions/ann%40example.com", key: key).status == .noContent)
            #expect(try await http.call(.delete, "/api/v1/email/suppressions/ann%40example.com", key: key).status == .notFound)
            let actions = try await http.get("/api/v1/audit-log", key: key).data.compactMap { $0["action"] as? String }
            #expect(actions.contains("email_suppression.added") && actions.contains("email_suppression.removed"))
        }
    }

    @Test func badRequestsNameTheFieldAndRolesAreChecked() async throws {
        try await TestApp.run(configure: Self.withSMTP) { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            for (body, field) in [
                (["subject": "Hi", "text": "Hello"] as [String: Any], "customer_id"),
                (["to": "not an address", "subject": "Hi", "text": "Hello"], "to"),
                (["to": "a@b.example", "text": "Hello"], "subject"),
                (["to": "a@b.example", "subject": "Hi"], "text"),
                (["to": "a@b.example", "subject": "Hi\nBcc: x@y.z", "text": "Hello"], "subject"),
                (["to": "a@b.example", "subject": "Hi {{#open}}", "text": "Hello"], "subject"),
                (["to": "a@b.example", "subject": "Hi", "text": "Hello", "purpose": "Marketing!"], "purpose"),
                (["to": "a@b.example", "template_id": "0190a6f0-0000-7000-8000-000000000000"], "template_id"),
                (["to": "a@b.example", "subject": "Hi", "text": "Hello", "data": ["a", "b"]], "data"),
                (["to": "a@b.example", "subject": "Hi", "text": "Hello", "cc": "x@y.z"], "cc"),
            ] {
                let reply = try await http.call(.post, "/api/v1/emails", key: key, json: body)
                #expect(reply.status == .unprocessableContent, "\(body): \(reply.text)")
                #expect((reply.json["error"] as? [String: Any]).flatMap { ($0["details"] as? [String: Any])?["field"] as? String } == field,
                        "\(body): \(reply.text)")
            }
            let reader = try await acme.key(services, scope: .read)
            let refused = try await http.call(.post, "/api/v1/emails", key: reader, json: ["to": "a@b.example", "subject": "Hi", "text": "Yo"])
            #expect(refused.status == .forbidden)
            #expect(try await http.get("/api/v1/emails", key: reader).status == .ok)
            let writer = try await acme.key(services, scope: .write)
            #expect(try await http.call(.post, "/api/v1/email/suppressions", key: writer, json: ["address": "a@b.example"]).status == .forbidden)
            #expect(try await http.call(.post, "/api/v1/email/templates", key: writer,
                                        json: ["name": "x", "subject": "s", "text": "t"]).status == .forbidden)
            #expect(try await http.call(.post, "/api/v1/email/test", key: writer, json: ["to": "a@b.example"]).status == .forbidden)
        }
    }

    @Test func templatesAreValidatedNamedOnceAndRenderedPerCustomer() async throws {
        try await TestApp.run(configure: Self.withSMTP) { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            let bad = try await http.call(.post, "/api/v1/email/templates", key: key, json: [
                "name": "Broken", "subject": "Hi", "text": "Hello {{/closed}}"])
            #expect(bad.status == .unprocessableContent)
            #expect((bad.json["error"] as? [String: Any]).flatMap { ($0["details"] as? [String: Any])?["field"] as? String } == "text")
            let made = try await http.call(.post, "/api/v1/email/templates", key: key, json: [
                "name": "Welcome", "subject": "Welcome, {{customer.name}}", "text": "Hello {{customer.name}}"])
            #expect(made.status == .created, "\(made.text)")
            let id = try #require(made.string("id"))
            let twice = try await http.call(.post, "/api/v1/email/templates", key: key, json: [
                "name": "Welcome", "subject": "x", "text": "y"])
            #expect(twice.status == .conflict)
            #expect(twice.errorCode == "template_name_taken")

            let changed = try await http.call(.patch, "/api/v1/email/templates/\(id)", key: key, json: [
                "html": "<h1>Hello {{customer.name}}</h1>"])
            #expect(changed.status == .ok)
            #expect(changed.string("subject") == "Welcome, {{customer.name}}")

            let bo = try await Self.customer(http, key, traits: ["email": "bo@example.com", "name": "Bo"])
            let sent = try await http.call(.post, "/api/v1/emails", key: key, json: ["customer_id": bo, "template_id": id])
            #expect(sent.status == .accepted, "\(sent.text)")
            #expect(sent.string("subject") == "Welcome, Bo")
            #expect(sent.string("html") == "<h1>Hello Bo</h1>")
            #expect(sent.string("template_id") == id)
            let both = try await http.call(.post, "/api/v1/emails", key: key, json: ["customer_id": bo, "template_id": id, "subject": "x"])
            #expect(both.status == .unprocessableContent)

            let other = try await Fixture.make(services, name: "Other", ownerEmail: "owner@other.test")
            #expect(try await http.get("/api/v1/email/templates/\(id)", key: other.adminKey).status == .notFound)
            #expect(try await http.call(.delete, "/api/v1/email/templates/\(id)", key: key).status == .noContent)
            #expect(try await http.get("/api/v1/email/templates/\(id)", key: key).status == .notFound)
        }
    }

    @Test func anUnsubscribeLinkWithdrawsItsPurposeOnce() async throws {
        try await TestApp.run(configure: Self.withSMTP) { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            let ann = try await Self.customer(http, key, traits: ["email": "ann@example.com"])
            let sent = try await http.call(.post, "/api/v1/emails", key: key, json: [
                "customer_id": ann, "purpose": "surveys", "subject": "How did we do?", "text": "Tell us."])
            let text = try #require(sent.string("text"))
            let link = try #require(text.split(separator: "\n").last.map { String($0) })
            #expect(link.hasPrefix("Unsubscribe: https://cx.example.com/unsubscribe/"), "a footer is added: \(text)")
            let path = String(link.dropFirst("Unsubscribe: https://cx.example.com".count))

            // Opening the link changes nothing; it asks.
            let page = try await http.get(path)
            #expect(page.status == .ok)
            #expect(page.text.contains("ann@example.com") && page.text.contains("surveys"))
            #expect(page.text.contains("<form method=\"post\""))
            let before = try await http.get("/api/v1/customers/\(ann)/contactability?purpose=surveys&channel=email", key: key)
            #expect(before.json["allowed"] as? Bool == true, "\(before.text)")

            // One-click unsubscribe (RFC 8058) posts without a session or CSRF token.
            let done = try await http.call(.post, path, raw: "List-Unsubscribe=One-Click",
                                           headers: [.contentType: "application/x-www-form-urlencoded"])
            #expect(done.status == .ok, "\(done.text)")
            #expect(done.text.contains("You are unsubscribed"))
            _ = try await http.call(.post, path, raw: "", headers: [.contentType: "application/x-www-form-urlencoded"])
            let after = try await http.get("/api/v1/customers/\(ann)/contactability?purpose=surveys&channel=email", key: key)
            #expect(after.json["allowed"] as? Bool == false)
            let consents = try await http.get("/api/v1/customers/\(ann)/consents", key: key).json["history"] as? [[String: Any]] ?? []
            #expect(consents.filter { $0["source"] as? String == "unsubscribe_link" }.count == 1, "\(consents)")

            // The next survey email is blocked; a made-up link is not found and changes nothing.
            let next = try await http.call(.post, "/api/v1/emails", key: key, json: [
                "customer_id": ann, "purpose": "surveys", "subject": "Again?", "text": "Please"])
            #expect(next.string("state") == "blocked")
            #expect(try await http.call(.post, "/unsubscribe/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", raw: "").status == .notFound)
            #expect(try await http.get("/unsubscribe/short").status == .notFound)
        }
    }
}
