import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import RapportCore
import RapportRuntime
import Synchronization
import Testing

/// What follows a webhook delivery attempt: an endpoint failing for days is disabled and whoever made it is emailed
/// (once); a success clears the failing mark; a rule's webhook is on the customer's timeline. Deliveries go to a real
/// HTTP receiver on loopback (or a closed port) through the real handler, on the automation suite's test clock.
@Suite("Webhook health")
struct WebhookHealthTests {
    /// A receiver on loopback answering `status`'s current value, counting the requests it got.
    final class Receiver: Sendable {
        let status = Mutex(204)
        let received = Mutex(0)
        /// The Standard Webhooks headers and body of every request, in order.
        let requests = Mutex<[(id: String, timestamp: String, signature: String, body: String)]>([])

        func run(_ body: @Sendable (Int) async throws -> Void) async throws {
            let router = Router()
            router.post("hook") { request, context -> Response in
                let text = String(buffer: try await request.body.collect(upTo: 1 << 20))
                let header = { (name: String) in HTTPField.Name(name).flatMap { request.headers[$0] } ?? "" }
                self.requests.withLock {
                    $0.append((header("webhook-id"), header("webhook-timestamp"), header("webhook-signature"), text))
                }
                self.received.withLock { $0 += 1 }
                return Response(status: .init(code: self.status.withLock { $0 }))
            }
            let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
            try await app.test(.live) { client in try await body(try #require(client.port)) }
        }
    }

    static let closedURL = "http://127.0.0.1:9/hook"
    static let day: Int64 = 86_400_000

    /// Runs every due webhook delivery at the test clock's time through the real handler; one that fails is put back
    /// due in ten years, so later rounds see only new deliveries.
    static func deliver(_ env: AutomationTests.Env) async throws {
        let services = env.services
        let handler = WebhookDeliveryHandler(
            deps: services.core, urlGuard: services.urlGuard,
            health: WebhookHealth(services.core, disableAfterMillis: 5 * day, outbox: services.emails.outbox),
            timeoutSeconds: 1, logger: Logger(label: "test"))
        let now = env.clock.nowMillis
        let jobs = try await services.core.store.write {
            try await $0.jobs.claim(owner: "test", limit: 100, now: now, leaseMillis: 86_400_000)
        }
        for job in jobs where job.kind == WebhookEvents.jobKind {
            do {
                try await handler.run(job)
                _ = try await services.core.store.write { try await $0.jobs.complete(id: job.id, owner: "test", now: now) }
            } catch {
                _ = try await services.core.store.write {
                    try await $0.jobs.fail(id: job.id, owner: "test", error: "\(error)", outcome: .retry(at: now + 3_650 * day), now: now)
                }
            }
        }
    }

    static func endpoint(_ env: AutomationTests.Env, _ id: String) async throws -> [String: Any] {
        let reply = try await env.http.get("/api/v1/webhooks/\(id)", key: env.key)
        #expect(reply.status == .ok, "\(reply.text)")
        return reply.json
    }

    /// A change that every endpoint subscribed to `customer.created` hears of.
    static func newCustomer(_ env: AutomationTests.Env, _ name: String) async throws {
        let reply = try await env.http.call(.post, "/api/v1/customers", key: env.key, json: ["traits": ["email": "\(name)@example.com"]])
        #expect(reply.status == .created, "\(reply.text)")
    }

    @Test func anEndpointFailingForFiveDaysIsDisabledAndItsMakerEmailedOnce() async throws {
        try await AutomationTests.run(configure: EmailOutboxTests.withSMTP) { env in
            let services = env.services
            // Made by an admin signed in to the UI: she is the one told.
            let ada = try await services.team.add(nil, workspaceId: env.fixture.workspace.id, email: "ada@acme.test", role: .admin,
                                                  name: "Ada", password: "correct horse battery")
            let session = Session(tokenHash: "t", userId: ada.user.id, workspaceId: env.fixture.workspace.id, csrfToken: "c",
                                  createdAt: 0, expiresAt: .max)
            let principal = Principal(caller: .user(ada.user, session: session), workspace: env.fixture.workspace, role: .admin)
            let made = try await services.webhooks.create(principal, url: Self.closedURL, description: "CRM",
                                                          eventTypes: ["customer.created"], ip: nil)
            let start = env.clock.nowMillis

            try await Self.newCustomer(env, "ann")
            try await Self.deliver(env)
            var endpoint = try await Self.endpoint(env, made.id)
            #expect(endpoint["enabled"] as? Bool == true)
            #expect(endpoint["failing_since"] as? String == Timestamp.iso8601(start), "\(endpoint)")

            env.clock.advance(.seconds(4 * 86_400))
            try await Self.newCustomer(env, "bob")
            try await Self.deliver(env)
            endpoint = try await Self.endpoint(env, made.id)
            #expect(endpoint["enabled"] as? Bool == true, "four days of failures are not enough")
            #expect(endpoint["failing_since"] as? String == Timestamp.iso8601(start), "the mark keeps the first failure")
            #expect(try await env.http.get("/api/v1/emails", key: env.key).data.isEmpty)

            env.clock.advance(.seconds(86_400 + 60))
            try await Self.newCustomer(env, "cyd")
            try await Self.newCustomer(env, "dan")
            try await Self.deliver(env)
            endpoint = try await Self.endpoint(env, made.id)
            #expect(endpoint["enabled"] as? Bool == false)
            let reason = try #require(endpoint["disabled_reason"] as? String)
            #expect(reason.contains("Every delivery failed for 5 days"), "\(reason)")
            #expect(reason.contains("127.0.0.1") || reason.contains("connect") || reason.contains("refused"), "the last error: \(reason)")

            // One notice, to Ada, linking the endpoint's page.
            let emails = try await env.http.get("/api/v1/emails", key: env.key).data
            #expect(emails.count == 1, "\(emails)")
            let notice = try #require(emails.first)
            #expect(notice["to"] as? String == "ada@acme.test")
            #expect(notice["subject"] as? String == "Rapport disabled a webhook endpoint of Acme")
            #expect(notice["source"] as? String == "webhook_disabled")
            let text = try #require(notice["text"] as? String)
            #expect(text.contains(Self.closedURL) && text.contains("https://cx.example.com/settings/webhooks/\(made.id)"), "\(text)")
            #expect(notice["purpose"] is NSNull, "a service message: no unsubscribe link")

            let audit = try await env.http.get("/api/v1/audit-log?action=webhook.disabled", key: env.key)
            #expect(audit.data.count == 1 && audit.text.contains(made.id), "\(audit.text)")

            // The first of Cyd's and Dan's deliveries to be tried disabled it; the other was then not sent; Eve's is not
            // even queued. The log keeps all four, and nobody is told twice.
            try await Self.newCustomer(env, "eve")
            try await Self.deliver(env)
            #expect(try await env.http.get("/api/v1/emails", key: env.key).data.count == 1)
            let log = try await env.http.get("/api/v1/webhooks/\(made.id)/deliveries", key: env.key).data
            #expect(log.count == 4, "\(log)")
            let unsent = log.prefix(2).filter { $0["attempts"] as? Int == 0 }
            #expect(unsent.count == 1 && unsent.first?["status"] as? String == "failed", "\(log)")
            #expect((unsent.first?["response_excerpt"] as? String)?.contains("disabled") == true, "\(unsent)")

            // Enabled again by an admin: the reason and the failing mark are gone.
            let enabled = try await env.http.call(.patch, "/api/v1/webhooks/\(made.id)", key: env.key, json: ["enabled": true])
            #expect(enabled.status == .ok, "\(enabled.text)")
            #expect(enabled.json["disabled_reason"] is NSNull && enabled.json["failing_since"] is NSNull, "\(enabled.text)")
        }
    }

    @Test func aSuccessClearsTheFailingMarkAndOwnersAreToldWhenAKeyMadeTheEndpoint() async throws {
        try await AutomationTests.run(configure: EmailOutboxTests.withSMTP) { env in
            let receiver = Receiver()
            try await receiver.run { port in
                let made = try await env.http.call(.post, "/api/v1/webhooks", key: env.key, json: [
                    "url": Self.closedURL, "event_types": ["customer.created"]])
                let id = try #require(made.string("id"))

                try await Self.newCustomer(env, "ann")
                try await Self.deliver(env)
                #expect(try await Self.endpoint(env, id)["failing_since"] is String)

                // The receiver is back (here: the URL fixed): one delivery that succeeds clears the mark.
                let moved = try await env.http.call(.patch, "/api/v1/webhooks/\(id)", key: env.key, json: [
                    "url": "http://127.0.0.1:\(port)/hook"])
                #expect(moved.status == .ok && moved.json["failing_since"] is String, "moving it keeps the mark: \(moved.text)")
                env.clock.advance(.seconds(3 * 86_400))
                try await Self.newCustomer(env, "bob")
                try await Self.deliver(env)
                #expect(receiver.received.withLock { $0 } == 1)
                #expect(try await Self.endpoint(env, id)["failing_since"] is NSNull)

                // Failing again for five days from a new first failure: made with a key, so the owners are told.
                receiver.status.withLock { $0 = 500 }
                try await Self.newCustomer(env, "cyd")
                try await Self.deliver(env)
                env.clock.advance(.seconds(5 * 86_400))
                try await Self.newCustomer(env, "dan")
                try await Self.deliver(env)
                let endpoint = try await Self.endpoint(env, id)
                #expect(endpoint["enabled"] as? Bool == false)
                #expect((endpoint["disabled_reason"] as? String)?.contains("the endpoint answered 500") == true, "\(endpoint)")
                let emails = try await env.http.get("/api/v1/emails", key: env.key).data
                #expect(emails.compactMap { $0["to"] as? String } == ["owner@acme.test"])
            }
        }
    }

    @Test func aRulesWebhookIsOnTheCustomersTimelineOnceDelivered() async throws {
        try await AutomationTests.run { env in
            let receiver = Receiver()
            try await receiver.run { port in
                let made = try await env.http.call(.post, "/api/v1/webhooks", key: env.key, json: [
                    "url": "http://127.0.0.1:\(port)/hook", "event_types": ["customer.created"]])
                let endpointId = try #require(made.string("id"))
                let ruleId = try await env.createRule([
                    "name": "Tell the CRM", "trigger": ["type": "event", "event": "Ticket Resolved"],
                    "actions": [["type": "webhook", "endpoint_id": endpointId]],
                ])
                try await env.track("tia", "Ticket Resolved", ["agent": "sam"])
                try await env.drain()
                let customerId = try #require(try await env.customer("tia")["id"] as? String)
                let timeline = "/api/v1/customers/\(customerId)/timeline?type=webhook"
                #expect(try await env.http.get(timeline, key: env.key).data.isEmpty, "not before it is delivered")

                // `drain` leased the deliveries for a day and left them: a day later they can be claimed again.
                env.clock.advance(.seconds(86_400 + 1))
                try await Self.deliver(env)
                #expect(receiver.received.withLock { $0 } == 2, "the rule's webhook and the customer.created event")
                let entries = try await env.http.get(timeline, key: env.key).data
                #expect(entries.count == 1, "only the rule's webhook; the customer.created delivery is in the log: \(entries)")
                let entry = try #require(entries.first)
                #expect(entry["name"] as? String == "automation.rule_fired")
                let properties = try #require(entry["properties"] as? [String: Any])
                #expect(properties["status"] as? String == "succeeded")
                #expect(properties["response_status"] as? Int == 204)
                #expect(properties["endpoint_id"] as? String == endpointId)
                #expect(properties["rule_id"] as? String == ruleId)
                #expect(properties["rule_name"] as? String == "Tell the CRM")
            }
        }
    }

    /// A rotated secret signs every delivery at once; the previous one signs beside it until its overlap ends (both in
    /// `webhook-signature`, as Standard Webhooks allows), then no more. Rotating with no overlap stops the old one at once.
    @Test func aRotatedSecretSignsBesideThePreviousOneUntilTheOverlapEnds() async throws {
        try await AutomationTests.run { env in
            let receiver = Receiver()
            try await receiver.run { port in
                let made = try await env.http.call(.post, "/api/v1/webhooks", key: env.key, json: [
                    "url": "http://127.0.0.1:\(port)/hook", "event_types": ["customer.created"]])
                let id = try #require(made.string("id"))
                let first = try #require(made.string("secret"))
                #expect(made.json["previous_secret_expires_at"] is NSNull)

                let rotated = try await env.http.call(.post, "/api/v1/webhooks/\(id)/rotate-secret", key: env.key)
                #expect(rotated.status == .ok, "\(rotated.text)")
                let second = try #require(rotated.string("secret"))
                #expect(second != first && second.hasPrefix("whsec_"))
                let until = env.clock.nowMillis + 86_400_000
                #expect(rotated.string("previous_secret_expires_at") == Timestamp.iso8601(until))
                #expect(try await Self.endpoint(env, id)["secret"] as? String == second, "shown to admins as the secret now")

                // Within the day: signed with both, the new one first.
                try await Self.newCustomer(env, "ann")
                try await Self.deliver(env)
                let signer = HMACWebhookSigner()
                func signatures(_ index: Int, _ secrets: [String]) throws -> (sent: [String], expected: [String]) {
                    let request = try #require(receiver.requests.withLock { $0.count > index ? $0[index] : nil })
                    let timestamp = try #require(Int64(request.timestamp))
                    return (request.signature.split(separator: " ").map(String.init), secrets.map {
                        signer.signature(messageId: request.id, timestamp: timestamp, body: request.body, secret: $0)
                    })
                }
                let during = try signatures(0, [second, first])
                #expect(during.sent == during.expected)

                // After the day: the new secret alone.
                env.clock.advance(.seconds(86_400 + 1))
                try await Self.newCustomer(env, "bob")
                try await Self.deliver(env)
                let after = try signatures(1, [second])
                #expect(after.sent == after.expected)

                // No overlap: the old secret stops at once.
                let third = try await env.http.call(.post, "/api/v1/webhooks/\(id)/rotate-secret", key: env.key,
                                                    json: ["overlap_seconds": 0])
                #expect(third.status == .ok && third.json["previous_secret_expires_at"] is NSNull, "\(third.text)")
                let thirdSecret = try #require(third.string("secret"))
                try await Self.newCustomer(env, "cyd")
                try await Self.deliver(env)
                let now = try signatures(2, [thirdSecret])
                #expect(now.sent == now.expected)
                #expect(receiver.received.withLock { $0 } == 3)

                // In the browser: the endpoint's page rotates it with the overlap chosen, then opens the secret and says until
                // when the previous one signs too.
                var browser = BrowserSessionTests.Browser(http: env.http)
                try await browser.signIn()
                let page = try await browser.request(.get, "/settings/webhooks/\(id)")
                #expect(page.text.contains(thirdSecret) && !page.text.contains("data-testid=\"webhook-previous-secret\""))
                let csrf = try #require(BrowserSessionTests.Browser.meta(page.text))
                let posted = try await browser.request(.post, "/settings/webhooks/\(id)/rotate-secret",
                                                       form: ["_csrf": csrf, "overlap_seconds": "3600"])
                #expect(posted.status == .seeOther || posted.status == .found, "\(posted.status)")
                let shown = try await browser.request(.get, "/settings/webhooks/\(id)?done=rotated")
                let fourth = try #require(try await Self.endpoint(env, id)["secret"] as? String)
                #expect(fourth != thirdSecret && shown.text.contains(fourth))
                #expect(shown.text.contains("<details class=\"card secret\" open>"), "the new secret is shown at once")
                #expect(shown.text.contains("data-testid=\"webhook-previous-secret\""), "the overlap is said")
                #expect(try await Self.endpoint(env, id)["previous_secret_expires_at"] as? String
                        == Timestamp.iso8601(env.clock.nowMillis + 3_600_000))
                let refused = try await browser.request(.post, "/settings/webhooks/\(id)/rotate-secret", form: ["_csrf": csrf])
                #expect(refused.status == .unprocessableContent, "no overlap chosen: \(refused.status)")

                let actions = try await env.http.get("/api/v1/audit-log", key: env.key).data.compactMap { $0["action"] as? String }
                #expect(actions.filter { $0 == "webhook.secret_rotated" }.count == 3)
            }
        }
    }

    /// Bad overlaps are refused with the field named and change nothing; only admins rotate, and only their workspace's.
    @Test func rotationIsCheckedAndAdminsOnly() async throws {
        try await TestApp.run(configure: { $0.webhookAllowPrivateNetworks = true }) { http, services in
            let acme = try await Fixture.make(services)
            let made = try await http.call(.post, "/api/v1/webhooks", key: acme.adminKey, json: [
                "url": "http://127.0.0.1:9/hook", "event_types": ["customer.created"]])
            let id = try #require(made.string("id"))
            let secret = try #require(made.string("secret"))
            for bad: Any in [-1, 604_801, 1.5, "a day"] {
                let reply = try await http.call(.post, "/api/v1/webhooks/\(id)/rotate-secret", key: acme.adminKey,
                                                json: ["overlap_seconds": bad])
                #expect(reply.status == .unprocessableContent, "\(bad): \(reply.text)")
                #expect((reply.json["error"] as? [String: Any]).flatMap { ($0["details"] as? [String: Any])?["field"] as? String }
                        == "overlap_seconds", "\(reply.text)")
            }
            let unknown = try await http.call(.post, "/api/v1/webhooks/\(id)/rotate-secret", key: acme.adminKey,
                                              json: ["expires": 10])
            #expect(unknown.status == .unprocessableContent, "\(unknown.text)")
            let reader = try await acme.key(services, scope: .read)
            #expect(try await http.call(.post, "/api/v1/webhooks/\(id)/rotate-secret", key: reader).status == .forbidden)
            let other = try await Fixture.make(services, name: "Other", ownerEmail: "owner@other.test")
            #expect(try await http.call(.post, "/api/v1/webhooks/\(id)/rotate-secret", key: other.adminKey).status == .notFound)
            #expect(try await http.call(.post, "/api/v1/webhooks/nope/rotate-secret", key: acme.adminKey).status == .notFound)
            let unchanged = try await http.get("/api/v1/webhooks/\(id)", key: acme.adminKey)
            #expect(unchanged.string("secret") == secret)
        }
    }
}
