import Foundation
import Hummingbird
import RapportCore
import RapportRuntime
import Testing

/// Webhook endpoints over HTTP: validation and the private-network guard, tenancy and roles, events queued in the
/// transaction of the change they report, the delivery log, test events and replays. Delivery to a real receiver,
/// verified with the `standardwebhooks` library, is in e2e/test_webhooks.py.
@Suite("Webhooks")
struct WebhookTests {
    @Test func signaturesMatchTheStandardWebhooksExample() {
        // The example of the Standard Webhooks specification (and its reference libraries' tests).
        let signature = HMACWebhookSigner().signature(messageId: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330,
                                                      body: #"{"test": 2432232314}"#,
                                                      secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test(arguments: [
        ("127.0.0.1", false), ("10.1.2.3", false), ("172.16.0.1", false), ("172.32.0.1", true), ("192.168.1.1", false),
        ("169.254.169.254", false), ("100.64.0.1", false), ("0.0.0.0", false), ("224.0.0.1", false), ("93.184.216.34", true),
        ("::1", false), ("fd00::1", false), ("fe80::1", false), ("::ffff:127.0.0.1", false), ("2606:2800:220:1::1", true),
    ])
    func onlyPublicAddressesAreReachable(address: String, isPublic: Bool) throws {
        let resolved = try PublicAddressGuard.resolve(address, port: 443)
        #expect(!resolved.isEmpty)
        #expect(resolved.allSatisfy { PublicAddressGuard.isPublic($0) == isPublic })
    }

    @Test func endpointsAreValidatedAndPrivateNetworksRefusedByDefault() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            func create(_ body: [String: Any]) async throws -> TestHTTP.Reply {
                try await http.call(.post, "/api/v1/webhooks", key: key, json: body)
            }
            for url in ["http://127.0.0.1:8080/hook", "http://10.0.0.7/hook", "http://169.254.169.254/latest/meta-data",
                        "http://[::1]/hook", "http://localhost/hook"] {
                let refused = try await create(["url": url, "event_types": ["customer.created"]])
                #expect(refused.status == .unprocessableContent, "\(url)")
                #expect(refused.errorCode == "url_not_allowed", "\(url)")
            }
            for (body, field) in [
                (["url": "ftp://93.184.216.34/x", "event_types": ["customer.created"]] as [String: Any], "url"),
                (["url": "https://user:secret@93.184.216.34/x", "event_types": ["customer.created"]], "url"),
                (["url": "https://93.184.216.34/x", "event_types": [String]()], "event_types"),
                (["url": "https://93.184.216.34/x", "event_types": ["customer.created", "customer.exploded"]], "event_types[1]"),
                (["url": "https://93.184.216.34/x"], "event_types"),
            ] {
                let bad = try await create(body)
                #expect(bad.status == .unprocessableContent)
                #expect((bad.json["error"] as? [String: Any]).flatMap { ($0["details"] as? [String: Any])?["field"] as? String } == field)
            }
            let writer = try await acme.key(services, scope: .write)
            let forbidden = try await http.call(.post, "/api/v1/webhooks", key: writer,
                                                json: ["url": "https://93.184.216.34/x", "event_types": ["customer.created"]])
            #expect(forbidden.status == .forbidden)

            let made = try await create(["url": "https://93.184.216.34/hooks/rapport", "event_types": ["customer.created", "customer.created"],
                                         "description": "CRM sync"])
            #expect(made.status == .created)
            #expect(made.string("secret")?.hasPrefix("whsec_") == true)
            #expect(made.json["event_types"] as? [String] == ["customer.created"])
            let id = try #require(made.string("id"))

            // Another workspace does not see it.
            let other = try await Fixture.make(services, name: "Other", ownerEmail: "owner@other.test")
            #expect(try await http.get("/api/v1/webhooks/\(id)", key: other.adminKey).status == .notFound)
            #expect(try await http.get("/api/v1/webhooks", key: other.adminKey).data.isEmpty)

            let disabled = try await http.call(.patch, "/api/v1/webhooks/\(id)", key: key, json: ["enabled": false, "description": nil])
            #expect(disabled.json["enabled"] as? Bool == false)
            #expect(disabled.json["description"] is NSNull)
            #expect(try await http.call(.delete, "/api/v1/webhooks/\(id)", key: key).status == .noContent)
            #expect(try await http.get("/api/v1/webhooks/\(id)", key: key).status == .notFound)
            let actions = try await http.get("/api/v1/audit-log", key: key).data.compactMap { $0["action"] as? String }
            #expect(actions.contains("webhook.created") && actions.contains("webhook.updated") && actions.contains("webhook.deleted"))
        }
    }

    @Test func changesQueueOneSignedDeliveryPerSubscribedEndpoint() async throws {
        // The receiver is never reached here (its port is closed); what is checked is what Rapport queued and logged.
        try await TestApp.run(configure: { $0.webhookAllowPrivateNetworks = true }) { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            let customers = try await http.call(.post, "/api/v1/webhooks", key: key, json: [
                "url": "http://127.0.0.1:9/customers", "event_types": ["customer.created", "customer.merged", "consent.changed"]])
            let orders = try await http.call(.post, "/api/v1/webhooks", key: key, json: [
                "url": "http://127.0.0.1:9/orders", "event_types": ["order.completed", "order.refunded"]])
            let customersId = try #require(customers.string("id")), ordersId = try #require(orders.string("id"))

            let ann = try await http.call(.post, "/api/v1/customers", key: key, json: ["traits": ["email": "ann@example.com", "plan": "pro"]])
            let annId = try #require(ann.string("id"))
            _ = try await http.call(.post, "/api/v1/orders", key: key, json: [
                "order_id": "A-1", "customer_id": annId, "currency": "EUR", "total": 19.99])
            _ = try await http.call(.post, "/api/v1/customers/\(annId)/consents", key: key, json: [
                "purpose": "marketing_email", "status": "withdrawn"])

            let log = try await http.get("/api/v1/webhooks/\(customersId)/deliveries", key: key)
            let types = log.data.compactMap { $0["event_type"] as? String }
            #expect(types.sorted() == ["consent.changed", "customer.created"])
            #expect(log.data.count == 2)
            let created = try #require(log.data.first { $0["event_type"] as? String == "customer.created" })
            let payload = try #require(created["payload"] as? [String: Any])
            #expect(payload["type"] as? String == "customer.created")
            let data = try #require(payload["data"] as? [String: Any])
            #expect(data["customer_id"] as? String == annId)
            #expect((data["traits"] as? [String: Any])?["plan"] as? String == "pro")
            #expect((created["message_id"] as? String)?.hasPrefix("msg_") == true)

            let orderLog = try await http.get("/api/v1/webhooks/\(ordersId)/deliveries", key: key)
            #expect(orderLog.data.count == 1, "the refund comes later")
            let orderData = (orderLog.data.first?["payload"] as? [String: Any])?["data"] as? [String: Any]
            #expect(orderData?["order_id"] as? String == "A-1")
            #expect(orderData?["total"] as? Double == 19.99)

            // A refund tracked for the order reaches the order endpoint too.
            let trackKey = try await acme.key(services, scope: .track)
            let basic = "Basic " + Data("\(trackKey):".utf8).base64EncodedString()
            let refund = try await http.call(.post, "/v1/track", json: [
                "userId": "ann-1", "event": "Order Refunded", "properties": ["order_id": "A-1"]], headers: [.authorization: basic])
            #expect(refund.status == .ok, "\(refund.text)")
            let refunds = try await http.get("/api/v1/webhooks/\(ordersId)/deliveries", key: key).data
                .filter { $0["event_type"] as? String == "order.refunded" }
            #expect(refunds.count == 1)
            let refundData = (refunds.first?["payload"] as? [String: Any])?["data"] as? [String: Any]
            #expect(refundData?["customer_id"] as? String == annId, "the order's customer, not the tracked user's new profile")
            #expect(refundData?["total"] as? Double == 19.99)

            // Every delivery is a job of the workspace, one per delivery: the five above (the tracked user "ann-1" is a
            // new profile, so the customers endpoint got a second customer.created).
            let jobs = try await http.get("/api/v1/jobs?kind=webhook.deliver", key: key)
            #expect(jobs.data.count == 5)

            // A test event and a replay keep their own log lines; the replay repeats the message id.
            let test = try await http.call(.post, "/api/v1/webhooks/\(customersId)/test", key: key)
            #expect(test.status == .accepted && test.string("event_type") == "webhook.test")
            let original = try #require(created["id"] as? String)
            let replay = try await http.call(.post, "/api/v1/webhooks/\(customersId)/deliveries/\(original)/replay", key: key)
            #expect(replay.status == .accepted)
            #expect(replay.string("message_id") == created["message_id"] as? String)
            #expect(replay.string("id") != original)
            let wrongEndpoint = try await http.call(.post, "/api/v1/webhooks/\(ordersId)/deliveries/\(original)/replay", key: key)
            #expect(wrongEndpoint.status == .notFound)

            // Erasing the customer deletes the copies of their events here, and tells the endpoint nothing about them.
            #expect(try await http.call(.delete, "/api/v1/customers/\(annId)", key: key).status == .noContent)
            let afterErase = try await http.get("/api/v1/webhooks/\(customersId)/deliveries", key: key)
            #expect(afterErase.data.allSatisfy { ($0["payload"] as? [String: Any]).map { "\($0)".contains("ann@example.com") } == false })
        }
    }

    @Test func segmentRefreshesReportWhoEnteredAndWhoLeft() async throws {
        try await TestApp.run(configure: { $0.webhookAllowPrivateNetworks = true }) { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            let endpoint = try await http.call(.post, "/api/v1/webhooks", key: key, json: [
                "url": "http://127.0.0.1:9/segments", "event_types": ["segment.entered", "segment.exited"]])
            let endpointId = try #require(endpoint.string("id"))
            let ann = try #require(try await http.call(.post, "/api/v1/customers", key: key,
                                                        json: ["traits": ["email": "ann@example.com", "plan": "pro"]]).string("id"))
            let bob = try #require(try await http.call(.post, "/api/v1/customers", key: key,
                                                        json: ["traits": ["email": "bob@example.com", "plan": "free"]]).string("id"))
            let segment = try await http.call(.post, "/api/v1/segments", key: key, json: [
                "name": "Pro", "rule": ["field": "trait.plan", "op": "eq", "value": "pro"]])
            let segmentId = try #require(segment.string("id"))
            #expect(try await http.get("/api/v1/webhooks/\(endpointId)/deliveries", key: key).data.isEmpty,
                    "the first members of a new segment did not enter it by a change")

            _ = try await http.call(.patch, "/api/v1/customers/\(ann)", key: key, json: ["traits": ["plan": "free"]])
            _ = try await http.call(.patch, "/api/v1/customers/\(bob)", key: key, json: ["traits": ["plan": "pro"]])
            #expect(try await http.call(.post, "/api/v1/segments/\(segmentId)/refresh", key: key).status == .ok)
            let log = try await http.get("/api/v1/webhooks/\(endpointId)/deliveries", key: key).data
            let seen = Set(log.compactMap { delivery -> String? in
                guard let payload = delivery["payload"] as? [String: Any], let data = payload["data"] as? [String: Any] else { return nil }
                return "\(payload["type"] ?? "") \(data["customer_id"] ?? "") \(data["segment_name"] ?? "")"
            })
            #expect(seen == ["segment.entered \(bob) Pro", "segment.exited \(ann) Pro"])
            // A second refresh changes nothing and sends nothing.
            _ = try await http.call(.post, "/api/v1/segments/\(segmentId)/refresh", key: key)
            #expect(try await http.get("/api/v1/webhooks/\(endpointId)/deliveries", key: key).data.count == 2)
        }
    }
}
