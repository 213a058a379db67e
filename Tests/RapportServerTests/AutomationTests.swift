import Foundation
import Hummingbird
import HummingbirdTesting
import RapportCore
import RapportRuntime
import RapportServer
import RapportWeb
import Testing

/// Automation rules over HTTP: validation, roles and tenancy; tracked events that fire a rule's actions (trait, note,
/// signed webhook delivery), conditions, delays on a test clock, pausing, the limits that stop a loop, and erasure.
/// The background services do not run here: `drain` runs the automation jobs that are due at the test clock's time,
/// as a worker would, so each step is deterministic. Webhook deliveries stay queued (what they send is in
/// WebhookTests and e2e/test_webhooks.py).
@Suite("Automation rules")
struct AutomationTests {
    struct Env: Sendable {
        let http: TestHTTP
        let services: AppServices
        let clock: ManualClock
        let fixture: Fixture
        let trackKey: String

        var key: String { fixture.adminKey }

        func track(_ userId: String, _ event: String, _ properties: [String: Any] = [:]) async throws {
            let reply = try await http.call(.post, "/v1/track", json: ["userId": userId, "event": event, "properties": properties],
                                            headers: TrackingTests.basic(trackKey))
            #expect(reply.status == .ok, "\(reply.text)")
        }

        func identify(_ userId: String, _ traits: [String: Any]) async throws {
            let reply = try await http.call(.post, "/v1/identify", json: ["userId": userId, "traits": traits],
                                            headers: TrackingTests.basic(trackKey))
            #expect(reply.status == .ok, "\(reply.text)")
        }

        func createRule(_ body: [String: Any]) async throws -> String {
            let reply = try await http.call(.post, "/api/v1/automation/rules", key: key, json: body)
            #expect(reply.status == .created, "\(reply.text)")
            return try #require(reply.string("id"))
        }

        func runs(_ ruleId: String) async throws -> [[String: Any]] {
            try await http.get("/api/v1/automation/rules/\(ruleId)/runs", key: key).data
        }

        func customer(_ userId: String) async throws -> [String: Any] {
            try #require(try await http.get("/api/v1/customers?search=\(userId)", key: key).data.first)
        }

        /// Runs every due automation job (and the ones they enqueue that are due) at the clock's time, like a worker.
        /// Other jobs (webhook deliveries) are claimed and left alone.
        func drain() async throws {
            let handlers: [String: any JobHandler] = [
                AutomationTriggers.evaluateKind: AutomationEvaluateHandler(services.core),
                AutomationTriggers.actKind: AutomationActHandler(services.core, outbox: services.emails.outbox),
            ]
            let store = services.core.store
            for _ in 0..<20 {
                let now = clock.nowMillis
                let jobs = try await store.write { try await $0.jobs.claim(owner: "test", limit: 100, now: now, leaseMillis: 86_400_000) }
                let ours = jobs.filter { handlers[$0.kind] != nil }
                if ours.isEmpty { return }
                for job in ours {
                    try await handlers[job.kind]!.run(job)
                    let done = try await store.write { try await $0.jobs.complete(id: job.id, owner: "test", now: now) }
                    #expect(done)
                }
            }
            Issue.record("the automation jobs did not settle")
        }
    }

    /// With `iso`, the test clock starts at that instant (else now).
    static func run(at iso: String? = nil, configure: (inout AppConfig) -> Void = { _ in },
                    _ body: @escaping @Sendable (Env) async throws -> Void) async throws {
        let clock = iso.map { ManualClock($0) } ?? ManualClock(millis: Date().millisSince1970)
        try await TestApp.withRuntime(configure: { $0.webhookAllowPrivateNetworks = true; configure(&$0) }, clock: clock.wall) { runtime in
            let services = runtime.services
            let app = Application(router: try await buildRouter(services: services), logger: runtime.logger)
            try await app.test(.router) { client in
                let fixture = try await Fixture.make(services)
                let track = try await fixture.key(services, scope: .track)
                try await body(Env(http: TestHTTP(client: client, services: services), services: services, clock: clock,
                                   fixture: fixture, trackKey: track))
            }
        }
    }

    static func field(_ reply: TestHTTP.Reply) -> String? {
        ((reply.json["error"] as? [String: Any])?["details"] as? [String: Any])?["field"] as? String
    }

    @Test func aMatchingEventSetsATraitAddsANoteAndQueuesASignedWebhook() async throws {
        try await Self.run { env in
            let endpoint = try await env.http.call(.post, "/api/v1/webhooks", key: env.key, json: [
                "url": "http://127.0.0.1:9/rules", "event_types": ["customer.erased"]])
            let endpointId = try #require(endpoint.string("id"))
            let ruleId = try await env.createRule([
                "name": "Welcome French pros",
                "trigger": ["type": "event", "event": "Signed Up", "filters": [["property": "plan", "op": "eq", "value": "pro"],
                                                                              ["property": "cart.total", "op": "gte", "value": 10]]],
                "condition": ["field": "trait.country", "op": "eq", "value": "FR"],
                "actions": [["type": "set_trait", "trait": "welcomed", "value": true],
                            ["type": "add_note", "text": "Call to say hello."],
                            ["type": "webhook", "endpoint_id": endpointId]],
            ])
            try await env.identify("frida", ["country": "FR"])
            try await env.identify("dieter", ["country": "DE"])
            try await env.drain()
            #expect(try await env.runs(ruleId).isEmpty, "identifies do not trigger an event rule")

            try await env.track("frida", "Signed Up", ["plan": "free", "cart": ["total": 50]])
            try await env.track("frida", "Signed Up", ["plan": "pro", "cart": ["total": 5]])
            try await env.track("frida", "Logged In", ["plan": "pro"])
            try await env.drain()
            #expect(try await env.runs(ruleId).isEmpty, "filters that fail and other events record nothing")

            try await env.track("dieter", "Signed Up", ["plan": "pro", "cart": ["total": 50]])
            try await env.track("frida", "Signed Up", ["plan": "pro", "cart": ["total": 50]])
            try await env.drain()
            let runs = try await env.runs(ruleId)
            #expect(runs.count == 2)
            let fr = try await env.customer("frida"), de = try await env.customer("dieter")
            let frId = try #require(fr["id"] as? String), deId = try #require(de["id"] as? String)
            let skipped = try #require(runs.first { $0["customer_id"] as? String == deId })
            #expect(skipped["state"] as? String == "skipped" && skipped["reason"] as? String == "condition_not_met")
            let done = try #require(runs.first { $0["customer_id"] as? String == frId })
            #expect(done["state"] as? String == "completed", "\(done)")
            #expect((done["trigger"] as? [String: Any])?["key"] as? String == "Signed Up")
            let runId = try #require(done["id"] as? String)

            #expect((fr["traits"] as? [String: Any])?["welcomed"] as? Bool == true)
            #expect((de["traits"] as? [String: Any])?["welcomed"] == nil)
            let notes = try await env.http.get("/api/v1/customers/\(frId)/timeline?type=note", key: env.key).data
            #expect(notes.count == 1)
            #expect((notes.first?["properties"] as? [String: Any])?["text"] as? String == "Call to say hello.")
            #expect((notes.first?["properties"] as? [String: Any])?["rule_id"] as? String == ruleId)

            // The endpoint is not subscribed to anything the rule does: the action sends to it directly.
            let deliveries = try await env.http.get("/api/v1/webhooks/\(endpointId)/deliveries", key: env.key).data
            #expect(deliveries.count == 1)
            let delivery = try #require(deliveries.first)
            #expect(delivery["event_type"] as? String == "automation.rule_fired")
            #expect(delivery["message_id"] as? String == "msg_\(runId)_2")
            let data = (delivery["payload"] as? [String: Any])?["data"] as? [String: Any]
            #expect(data?["rule_id"] as? String == ruleId && data?["customer_id"] as? String == frId && data?["run_id"] as? String == runId)
            let jobs = try await env.http.get("/api/v1/jobs?kind=webhook.deliver", key: env.key).data
            #expect(jobs.count == 1, "one delivery job, signed and retried like every webhook")

            // Running the act job again (at-least-once delivery) changes nothing.
            let act = AutomationActHandler(env.services.core)
            try await act.run(Job(id: env.services.core.ids.next(), kind: AutomationTriggers.actKind,
                                  payload: "{\"run_id\":\"\(runId)\"}", workspaceId: env.fixture.workspace.id, now: env.clock.nowMillis))
            #expect(try await env.http.get("/api/v1/customers/\(frId)/timeline?type=note", key: env.key).data.count == 1)
            #expect(try await env.http.get("/api/v1/webhooks/\(endpointId)/deliveries", key: env.key).data.count == 1)
        }
    }

    @Test func aDelayIsHonouredAndAPausedRulesScheduledRunIsSkipped() async throws {
        try await Self.run { env in
            let ruleId = try await env.createRule([
                "name": "Follow up", "trigger": ["type": "event", "event": "Trial Started"], "delay_seconds": 3_600,
                "actions": [["type": "set_trait", "trait": "followed_up", "value": "yes"]],
            ])
            try await env.track("alice", "Trial Started")
            try await env.drain()
            var runs = try await env.runs(ruleId)
            #expect(runs.count == 1 && runs.first?["state"] as? String == "scheduled")
            let createdText = try #require(runs.first?["created_at"] as? String)
            let runAtText = try #require(runs.first?["run_at"] as? String)
            let created = try #require(ISO8601.millis(createdText))
            #expect(ISO8601.millis(runAtText) == created + 3_600_000)

            env.clock.advance(.seconds(1_800))
            try await env.drain()
            #expect(try await env.runs(ruleId).first?["state"] as? String == "scheduled")
            #expect((try await env.customer("alice")["traits"] as? [String: Any])?["followed_up"] == nil)
            env.clock.advance(.seconds(1_801))
            try await env.drain()
            #expect(try await env.runs(ruleId).first?["state"] as? String == "completed")
            #expect((try await env.customer("alice")["traits"] as? [String: Any])?["followed_up"] as? String == "yes")

            // Paused before its time: the scheduled run is skipped, and new events start nothing.
            try await env.track("bruno", "Trial Started")
            try await env.drain()
            let paused = try await env.http.call(.post, "/api/v1/automation/rules/\(ruleId)/pause", key: env.key)
            #expect(paused.status == .ok && paused.json["enabled"] as? Bool == false, "\(paused.text)")
            env.clock.advance(.seconds(7_200))
            try await env.drain()
            runs = try await env.runs(ruleId)
            #expect(runs.count == 2)
            #expect(runs.first?["state"] as? String == "skipped" && runs.first?["reason"] as? String == "rule_paused", "\(runs)")
            #expect((try await env.customer("bruno")["traits"] as? [String: Any])?["followed_up"] == nil)
            try await env.track("chloe", "Trial Started")
            try await env.drain()
            #expect(try await env.runs(ruleId).count == 2)

            let resumed = try await env.http.call(.post, "/api/v1/automation/rules/\(ruleId)/resume", key: env.key)
            #expect(resumed.json["enabled"] as? Bool == true)
            try await env.track("dmitri", "Trial Started")
            try await env.drain()
            #expect(try await env.runs(ruleId).count == 3)
        }
    }

    @Test func limitsPerCustomerAndPerRuleStopALoop() async throws {
        try await Self.run { env in
            let endpoint = try await env.http.call(.post, "/api/v1/webhooks", key: env.key, json: [
                "url": "http://127.0.0.1:9/loop", "event_types": ["customer.created"]])
            let endpointId = try #require(endpoint.string("id"))
            // A receiver that answers every firing by tracking the event again is a loop; the limits end it.
            let ruleId = try await env.createRule([
                "name": "Echo", "trigger": ["type": "event", "event": "Ping"],
                "actions": [["type": "webhook", "endpoint_id": endpointId]],
                "max_runs_per_customer": 3, "customer_window_hours": 1, "max_runs_per_hour": 5,
            ])
            func fired() async throws -> Int {
                try await env.http.get("/api/v1/webhooks/\(endpointId)/deliveries?limit=200", key: env.key).data
                    .filter { $0["event_type"] as? String == "automation.rule_fired" }.count
            }
            try await env.track("alice", "Ping")
            try await env.drain()
            for _ in 0..<8 {
                // The receiver echoes only what was fired since its last look.
                let before = try await fired()
                try await env.track("alice", "Ping")
                try await env.drain()
                if try await fired() == before { break }
            }
            var runs = try await env.runs(ruleId)
            #expect(runs.filter { $0["state"] as? String == "completed" }.count == 3)
            #expect(runs.filter { $0["reason"] as? String == "rate_limited" }.count == 1, "the loop stopped at the first refusal")
            #expect(try await fired() == 3)

            for user in ["bruno", "chloe", "dmitri"] { try await env.track(user, "Ping") }
            try await env.drain()
            runs = try await env.runs(ruleId)
            #expect(runs.filter { $0["state"] as? String == "completed" }.count == 5, "five an hour, all customers together")
            #expect(try await fired() == 5)

            // An hour later (the per-customer window too) the rule runs again.
            env.clock.advance(.seconds(3_601))
            try await env.track("alice", "Ping")
            try await env.drain()
            #expect(try await fired() == 6)
        }
    }

    @Test func aDelayedRunChecksItsConditionAgainWhenItsTimeComes() async throws {
        try await Self.run { env in
            // "An hour after a trial starts, if they are still on the trial, mark them for a nudge."
            let ruleId = try await env.createRule([
                "name": "Nudge trials", "trigger": ["type": "event", "event": "Trial Started"], "delay_seconds": 3_600,
                "condition": ["field": "trait.plan", "op": "eq", "value": "trial"],
                "actions": [["type": "set_trait", "trait": "nudged", "value": true]],
            ])
            for user in ["alice", "bruno"] {
                try await env.identify(user, ["plan": "trial"])
                try await env.track(user, "Trial Started")
            }
            try await env.drain()
            #expect(try await env.runs(ruleId).map { $0["state"] as? String } == ["scheduled", "scheduled"])
            // Bruno buys within the hour: when the run's time comes he is no longer on the trial.
            try await env.identify("bruno", ["plan": "pro"])
            env.clock.advance(.seconds(3_601))
            try await env.drain()
            let runs = try await env.runs(ruleId)
            let byCustomer = Dictionary(runs.map { ($0["customer_id"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
            let alice = try await env.customer("alice"), bruno = try await env.customer("bruno")
            #expect(byCustomer[alice["id"] as? String ?? ""]?["state"] as? String == "completed")
            let skipped = byCustomer[bruno["id"] as? String ?? ""]
            #expect(skipped?["state"] as? String == "skipped" && skipped?["reason"] as? String == "condition_not_met", "\(runs)")
            #expect((alice["traits"] as? [String: Any])?["nudged"] as? Bool == true)
            #expect((bruno["traits"] as? [String: Any])?["nudged"] == nil, "nothing done for a customer the condition no longer fits")
        }
    }

    @Test func limitsHoldWhenEvaluationsRunAtTheSameTime() async throws {
        try await Self.run { env in
            let ruleId = try await env.createRule([
                "name": "Welcome", "trigger": ["type": "event", "event": "Signed Up"],
                "actions": [["type": "add_note", "text": "Welcome"]],
                "max_runs_per_customer": 1, "customer_window_hours": 24, "max_runs_per_hour": 5,
            ])
            // Twenty sign-ups in a burst, each its own evaluation job, evaluated side by side as several workers would.
            for index in 0..<20 { try await env.track("burst-\(index)", "Signed Up") }
            let store = env.services.core.store
            let now = env.clock.nowMillis
            let jobs = try await store.write { try await $0.jobs.claim(owner: "test", limit: 100, now: now, leaseMillis: 86_400_000) }
                .filter { $0.kind == AutomationTriggers.evaluateKind }
            #expect(jobs.count == 20)
            let handler = AutomationEvaluateHandler(env.services.core)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for job in jobs { group.addTask { try await handler.run(job) } }
                try await group.waitForAll()
            }
            for job in jobs { _ = try await store.write { try await $0.jobs.complete(id: job.id, owner: "test", now: now) } }
            let runs = try await env.http.get("/api/v1/automation/rules/\(ruleId)/runs?limit=100", key: env.key).data
            #expect(runs.count == 20)
            #expect(runs.filter { $0["state"] as? String == "scheduled" }.count == 5, "five an hour, however the evaluations interleave")
            #expect(runs.filter { $0["reason"] as? String == "rate_limited" }.count == 15)
        }
    }

    @Test func ordersConsentAndSegmentsTriggerRules() async throws {
        try await Self.run { env in
            let big = try await env.createRule(["name": "Big orders", "trigger": ["type": "order_completed", "min_total": 100],
                                                "actions": [["type": "set_trait", "trait": "big_spender", "value": true]]])
            let optOut = try await env.createRule(["name": "Opt-out", "trigger": ["type": "consent_changed", "purpose": "marketing_email",
                                                                                  "status": "withdrawn"],
                                                   "actions": [["type": "add_note", "text": "Opted out."]]])
            try await env.track("alice", "Order Completed", ["order_id": "O-1", "total": 20])
            try await env.track("bruno", "Order Completed", ["order_id": "O-2", "total": 150])
            try await env.identify("alice", ["consent": ["marketing_email": true]])
            try await env.identify("bruno", ["consent": ["marketing_email": false]])
            try await env.drain()
            let u2 = try await env.customer("bruno")
            #expect(try await env.runs(big).map { $0["customer_id"] as? String } == [u2["id"] as? String])
            #expect((u2["traits"] as? [String: Any])?["big_spender"] as? Bool == true)
            #expect(try await env.runs(optOut).map { $0["customer_id"] as? String } == [u2["id"] as? String])

            let segment = try await env.http.call(.post, "/api/v1/segments", key: env.key, json: [
                "name": "Big spenders", "rule": ["field": "trait.big_spender", "op": "eq", "value": true]])
            let segmentId = try #require(segment.string("id"))
            let entered = try await env.createRule(["name": "Entered", "trigger": ["type": "segment_entered", "segment_id": segmentId],
                                                    "actions": [["type": "add_note", "text": "Now a big spender."]]])
            // A condition on segment membership (as of the segment's last refresh).
            let vip = try await env.createRule(["name": "VIP orders", "trigger": ["type": "order_completed"],
                                                "condition": ["field": "segment.\(segmentId)", "op": "exists"],
                                                "actions": [["type": "add_note", "text": "A big spender ordered again."]]])
            try await env.track("alice", "Order Completed", ["order_id": "O-3", "total": 500])
            try await env.track("bruno", "Order Completed", ["order_id": "O-4", "total": 10])
            try await env.drain()
            let vipRuns = try await env.runs(vip)
            #expect(vipRuns.count == 2)
            #expect(vipRuns.first { $0["customer_id"] as? String == u2["id"] as? String }?["state"] as? String == "completed")
            #expect(vipRuns.first { $0["customer_id"] as? String != u2["id"] as? String }?["reason"] as? String == "condition_not_met")
            let refresh = try await env.http.call(.post, "/api/v1/segments/\(segmentId)/refresh", key: env.key)
            #expect(refresh.status == .ok, "\(refresh.text)")
            try await env.drain()
            let u1 = try await env.customer("alice")
            #expect(try await env.runs(entered).map { $0["customer_id"] as? String } == [u1["id"] as? String])
            #expect(try await env.runs(entered).first?["state"] as? String == "completed")
        }
    }

    /// A segment that a rule starts on or names in its condition is not deleted (the rule would never fire again):
    /// `409 segment_in_use` naming the rules, on the API and on the segment's page; once the rules are gone it is.
    @Test func aSegmentThatRulesUseIsKeptUntilTheyAreGone() async throws {
        try await Self.run { env in
            var segmentIds: [String] = []
            for name in ["Big spenders", "Lapsed"] {
                let made = try await env.http.call(.post, "/api/v1/segments", key: env.key, json: [
                    "name": name, "rule": ["field": "trait.plan", "op": "eq", "value": name]])
                segmentIds.append(try #require(made.string("id"), "\(made.text)"))
            }
            let entered = try await env.createRule(["name": "Welcome big spenders", "trigger": ["type": "segment_entered", "segment_id": segmentIds[0]],
                                                    "actions": [["type": "add_note", "text": "Now a big spender."]]])
            let lapsed = try await env.createRule(["name": "Lapsed orders", "trigger": ["type": "order_completed"],
                                                   "condition": ["field": "segment.\(segmentIds[1])", "op": "exists"],
                                                   "actions": [["type": "add_note", "text": "Back again."]]])
            for (segmentId, ruleId, name) in [(segmentIds[0], entered, "Welcome big spenders"), (segmentIds[1], lapsed, "Lapsed orders")] {
                let refused = try await env.http.call(.delete, "/api/v1/segments/\(segmentId)", key: env.key)
                #expect(refused.status == .conflict && refused.errorCode == "segment_in_use", "\(refused.text)")
                #expect(refused.text.contains(name), "\(refused.text)")
                #expect(((refused.json["error"] as? [String: Any])?["details"] as? [String: Any])?["rules"] as? String == ruleId)
                #expect(try await env.http.get("/api/v1/segments/\(segmentId)", key: env.key).status == .ok)
            }
            var browser = BrowserSessionTests.Browser(http: env.http)
            try await browser.signIn()
            let page = try await browser.request(.get, "/segments/\(segmentIds[0])")
            let csrf = try #require(BrowserSessionTests.Browser.meta(page.text))
            let form = try await browser.request(.post, "/segments/\(segmentIds[0])/delete", form: ["_csrf": csrf, "confirm": "yes"])
            #expect(form.status == .conflict && form.text.contains("1 automation rule uses this segment"), "\(form.status)")

            for (segmentId, ruleId) in zip(segmentIds, [entered, lapsed]) {
                #expect(try await env.http.call(.delete, "/api/v1/automation/rules/\(ruleId)", key: env.key).status == .noContent)
                #expect(try await env.http.call(.delete, "/api/v1/segments/\(segmentId)", key: env.key).status == .noContent)
            }
        }
    }

    @Test func rulesAreValidatedScopedAndAudited() async throws {
        try await Self.run { env in
            let good: [String: Any] = ["name": "R", "trigger": ["type": "event", "event": "E"], "actions": [["type": "add_note", "text": "x"]]]
            func with(_ key: String, _ value: Any?) -> [String: Any] {
                var body = good
                body[key] = value
                return body
            }
            for (body, field) in [
                (with("name", nil), "name"),
                (with("trigger", ["type": "sometimes"]), "trigger.type"),
                (with("trigger", ["type": "event", "event": " "]), "trigger.event"),
                (with("trigger", ["type": "event", "event": "E", "filters": [["property": "p", "op": "before", "value": 1]]]),
                 "trigger.filters[0].op"),
                (with("trigger", ["type": "segment_entered", "segment_id": UUID().uuidString]), "trigger.segment_id"),
                (with("trigger", ["type": "consent_changed", "purpose": "Marketing!"]), "trigger.purpose"),
                (with("condition", ["field": "trait.plan", "op": "gt", "value": "x"]), "condition.value"),
                (with("condition", ["all": [["field": "nope", "op": "eq", "value": 1]]]), "condition.all[0].field"),
                (with("condition", ["field": "segment.\(UUID().uuidString)", "op": "exists"]), "condition"),
                (with("condition", ["field": "segment.\(UUID().uuidString)", "op": "eq", "value": true]), "condition.op"),
                (with("delay_seconds", 31 * 86_400), "delay_seconds"),
                (with("actions", [Any]()), "actions"),
                (with("actions", [["type": "add_note", "text": "ok"], ["type": "webhook", "endpoint_id": UUID().uuidString]]),
                 "actions[1].endpoint_id"),
                (with("actions", [["type": "set_trait", "trait": "vip"]]), "actions[0].value"),
                (with("max_runs_per_customer", 0), "max_runs_per_customer"),
                (with("colour", "red"), "colour"),
            ] {
                let reply = try await env.http.call(.post, "/api/v1/automation/rules", key: env.key, json: body)
                #expect(reply.status == .unprocessableContent, "\(field): \(reply.text)")
                #expect(Self.field(reply) == field, "\(reply.text)")
            }
            // Segments cannot test membership of other segments; automation conditions can.
            let segment = try await env.http.call(.post, "/api/v1/segments", key: env.key, json: [
                "name": "S", "rule": ["field": "segment.\(UUID().uuidString)", "op": "exists"]])
            #expect(segment.status == .unprocessableContent && Self.field(segment) == "rule.field", "\(segment.text)")
            let writer = try await env.fixture.key(env.services, scope: .write)
            #expect(try await env.http.call(.post, "/api/v1/automation/rules", key: writer, json: good).status == .forbidden)

            let id = try await env.createRule(good)
            let reader = try await env.fixture.key(env.services, scope: .read)
            #expect(try await env.http.get("/api/v1/automation/rules", key: reader).data.count == 1)
            #expect(try await env.http.call(.post, "/api/v1/automation/rules/\(id)/pause", key: reader).status == .forbidden)

            let changed = try await env.http.call(.patch, "/api/v1/automation/rules/\(id)", key: env.key,
                                                  json: ["delay_seconds": 60, "condition": ["field": "orders.count", "op": "gte", "value": 1]])
            #expect(changed.status == .ok && changed.json["delay_seconds"] as? Int == 60, "\(changed.text)")
            #expect((changed.json["condition"] as? [String: Any])?["field"] as? String == "orders.count")
            #expect(changed.json["name"] as? String == "R")
            let cleared = try await env.http.call(.patch, "/api/v1/automation/rules/\(id)", key: env.key, json: ["condition": NSNull()])
            #expect(cleared.json["condition"] is NSNull)
            let nulled = try await env.http.call(.patch, "/api/v1/automation/rules/\(id)", key: env.key, json: ["actions": NSNull()])
            #expect(nulled.status == .unprocessableContent && Self.field(nulled) == "actions")

            // Another workspace sees none of it.
            let other = try await Fixture.make(env.services, name: "Other", ownerEmail: "owner@other.test")
            #expect(try await env.http.get("/api/v1/automation/rules/\(id)", key: other.adminKey).status == .notFound)
            #expect(try await env.http.get("/api/v1/automation/rules/\(id)/runs", key: other.adminKey).status == .notFound)
            #expect(try await env.http.call(.post, "/api/v1/automation/rules/\(id)/pause", key: other.adminKey).status == .notFound)
            #expect(try await env.http.call(.patch, "/api/v1/automation/rules/\(id)", key: other.adminKey, json: ["name": "x"]).status == .notFound)
            #expect(try await env.http.call(.delete, "/api/v1/automation/rules/\(id)", key: other.adminKey).status == .notFound)
            #expect(try await env.http.get("/api/v1/automation/rules", key: other.adminKey).data.isEmpty)
            #expect(try await env.http.get("/api/v1/automation/rules/not-an-id", key: env.key).status == .notFound)

            #expect(try await env.http.call(.post, "/api/v1/automation/rules/\(id)/pause", key: env.key).status == .ok)
            #expect(try await env.http.call(.post, "/api/v1/automation/rules/\(id)/resume", key: env.key).status == .ok)
            #expect(try await env.http.call(.delete, "/api/v1/automation/rules/\(id)", key: env.key).status == .noContent)
            #expect(try await env.http.get("/api/v1/automation/rules/\(id)", key: env.key).status == .notFound)
            let actions = try await env.http.get("/api/v1/audit-log", key: env.key).data.compactMap { $0["action"] as? String }
            for action in ["created", "updated", "paused", "resumed", "deleted"] {
                #expect(actions.contains("automation_rule.\(action)"), "\(action)")
            }
        }
    }

    @Test func erasingACustomerRemovesTheirRunsAndTheirScheduledActions() async throws {
        try await Self.run { env in
            let ruleId = try await env.createRule([
                "name": "Later", "trigger": ["type": "event", "event": "Visited"], "delay_seconds": 600,
                "actions": [["type": "add_note", "text": "Later."]],
            ])
            try await env.track("alice", "Visited")
            try await env.track("bruno", "Visited")
            try await env.drain()
            #expect(try await env.runs(ruleId).count == 2)
            let gone = try #require(try await env.customer("alice")["id"] as? String)
            let export = try await env.http.get("/api/v1/customers/\(gone)/export", key: env.key)
            #expect((export.json["automation_runs"] as? [[String: Any]])?.count == 1)
            #expect(try await env.http.call(.delete, "/api/v1/customers/\(gone)", key: env.key).status == .noContent)
            let runs = try await env.runs(ruleId)
            #expect(runs.count == 1 && runs.first?["customer_id"] as? String != gone)
            env.clock.advance(.seconds(601))
            try await env.drain()
            #expect(try await env.runs(ruleId).first?["state"] as? String == "completed")
        }
    }

    @Test func theRulePagesShowStateTriggerAndRunsWithDates() async throws {
        let web = try await WebRenderer.load()
        let moment = WebPageModelTests.moment
        let chrome = PageChrome(csrf: "tok", user: .init(email: "ann@example.com", role: "admin", isAdmin: true, isOwner: false),
                                workspace: .init(id: "w1", name: "Acme", current: true),
                                workspaces: [.init(id: "w1", name: "Acme", current: true)])
        let rule = AutomationRule(id: "r1", workspaceId: "w1", name: "<i>Welcome</i>", enabled: false,
                                  trigger: .event(name: "Signed Up", filters: []), delaySeconds: 5_400,
                                  actions: [.addNote(text: "Hi")], createdAt: moment, updatedAt: moment)
        let run = AutomationRun(id: "x1", workspaceId: "w1", ruleId: "r1", customerId: "c1", trigger: [:], state: .skipped,
                                reason: .rateLimited, dedupeKey: "k", createdAt: moment, runAt: moment, finishedAt: moment)
        let list = web.render(AutomationRulesPage(rules: [rule], lastRuns: ["r1": run], endpoints: [], error: nil, flash: nil),
                              chrome: chrome)
        #expect(list.contains("&lt;i&gt;Welcome&lt;/i&gt;") && !list.contains("<i>Welcome</i>"))
        #expect(list.contains("Event Signed Up") && list.contains(#"<span class="badge status-paused">paused</span>"#))
        #expect(list.contains("skipped (rate_limited), <time datetime=\"2026-12-01T17:05:09.250Z\">1 Dec 2026, 17:05 UTC</time>"))
        #expect(list.contains(#"href="/settings/automation""#), "in the navigation")
        let page = web.render(AutomationRulePage(rule: rule, runs: Page(items: [run], nextCursor: nil), flash: nil), chrome: chrome)
        #expect(page.contains("1 h 30 min"))
        #expect(page.contains("skipped: rate_limited"))
        #expect(page.contains(#"action="/settings/automation/r1/resume""#) && !page.contains("pause-rule"))
        #expect(page.contains(#"href="/customers/c1""#))
    }

    @Test func rulesAreAddedPausedAndInspectedFromTheSettingsPages() async throws {
        try await TestApp.run { http, services in
            let fixture = try await Fixture.make(services)
            var browser = BrowserSessionTests.Browser(http: http)
            try await browser.signIn()
            let list = try await browser.request(.get, "/settings/automation")
            #expect(list.status == .ok && list.text.contains("No rules yet."))
            let csrf = try #require(BrowserSessionTests.Browser.hidden("_csrf", in: list.text))
            var form = ["_csrf": csrf, "name": "Welcome", "trigger_type": "event", "trigger_target": "Signed Up",
                        "condition": "{not json", "delay_minutes": "90", "trait_name": "welcomed", "trait_value": "true",
                        "note": "Say hello."]
            let bad = try await browser.request(.post, "/settings/automation", form: form)
            #expect(bad.status == .unprocessableContent)
            #expect(bad.text.contains("The condition is not valid JSON.") && bad.text.contains("value=\"Welcome\""), "the form keeps its values")
            form["condition"] = #"{"field": "trait.plan", "op": "eq", "value": "pro"}"#
            let made = try await browser.request(.post, "/settings/automation", form: form)
            #expect(made.status == .seeOther, "\(made.text)")
            let location = try #require(made.headers[.location])
            #expect(location.hasPrefix("/settings/automation/") && location.hasSuffix("?done=created"))
            let ruleId = String(location.dropFirst("/settings/automation/".count).prefix { $0 != "?" })

            let rule = try await http.get("/api/v1/automation/rules/\(ruleId)", key: fixture.adminKey)
            #expect(rule.json["delay_seconds"] as? Int == 5_400)
            #expect((rule.json["trigger"] as? [String: Any])?["event"] as? String == "Signed Up")
            #expect((rule.json["condition"] as? [String: Any])?["field"] as? String == "trait.plan")
            let actions = rule.json["actions"] as? [[String: Any]] ?? []
            #expect(actions.count == 2 && actions.first?["value"] as? Bool == true, "JSON values are read as JSON")

            let page = try await browser.request(.get, location)
            #expect(page.text.contains("1 h 30 min") && page.text.contains("No runs yet.") && page.text.contains("role=\"status\""))
            let paused = try await browser.request(.post, "/settings/automation/\(ruleId)/pause", form: ["_csrf": csrf])
            #expect(paused.headers[.location] == "/settings/automation/\(ruleId)?done=paused")
            #expect(try await http.get("/api/v1/automation/rules/\(ruleId)", key: fixture.adminKey).json["enabled"] as? Bool == false)
            let listed = try await browser.request(.get, "/settings/automation")
            #expect(listed.text.contains("Welcome") && listed.text.contains(#"<span class="badge status-paused">paused</span>"#))
            let deleted = try await browser.request(.post, "/settings/automation/\(ruleId)/delete", form: ["_csrf": csrf])
            #expect(deleted.headers[.location] == "/settings/automation?done=deleted")
            #expect(try await http.get("/api/v1/automation/rules/\(ruleId)", key: fixture.adminKey).status == .notFound)
        }
    }

    @Test func aSendEmailActionQueuesTheTemplateForTheCustomerUnderTheContactRules() async throws {
        try await Self.run(configure: EmailOutboxTests.withSMTP) { env in
            let missing = try await env.http.call(.post, "/api/v1/automation/rules", key: env.key, json: [
                "name": "x", "trigger": ["type": "event", "event": "Ticket Resolved"],
                "actions": [["type": "send_email", "template_id": "0190a6f0-0000-7000-8000-000000000000"]]])
            #expect(missing.status == .unprocessableContent)
            #expect(Self.field(missing) == "actions[0].template_id")
            let badPurpose = try await env.http.call(.post, "/api/v1/automation/rules", key: env.key, json: [
                "name": "x", "trigger": ["type": "event", "event": "Ticket Resolved"],
                "actions": [["type": "send_email", "template_id": "0190a6f0-0000-7000-8000-000000000000", "purpose": "Surveys!"]]])
            #expect(Self.field(badPurpose) == "actions[0].purpose")

            let template = try await env.http.call(.post, "/api/v1/email/templates", key: env.key, json: [
                "name": "CSAT", "subject": "How did {{data.agent}} do?", "text": "Hi {{customer.first_name}}, ticket {{data.ticket_id}}."])
            let templateId = try #require(template.string("id"))
            let ruleId = try await env.createRule([
                "name": "Ask after a ticket", "trigger": ["type": "event", "event": "Ticket Resolved"], "delay_seconds": 7_200,
                "actions": [["type": "send_email", "template_id": templateId, "purpose": "surveys"]],
            ])
            try await env.identify("mia", ["email": "mia@example.com", "first_name": "Mia"])
            try await env.track("mia", "Ticket Resolved", ["agent": "Sam", "ticket_id": "T-1"])
            try await env.identify("noemail", ["first_name": "Ned"])
            try await env.track("noemail", "Ticket Resolved", ["agent": "Sam", "ticket_id": "T-2"])
            try await env.drain()
            #expect(try await env.http.get("/api/v1/emails", key: env.key).data.isEmpty, "nothing before the delay")

            env.clock.advance(.seconds(7_201))
            try await env.drain()
            let emails = try await env.http.get("/api/v1/emails", key: env.key).data
            #expect(emails.count == 1)
            let email = try #require(emails.first)
            #expect(email["subject"] as? String == "How did Sam do?")
            #expect((email["text"] as? String)?.hasPrefix("Hi Mia, ticket T-1.") == true)
            #expect(email["source"] as? String == "automation" && email["state"] as? String == "queued")
            #expect(email["template_id"] as? String == templateId)
            let runs = try await env.runs(ruleId)
            let states = Dictionary(uniqueKeysWithValues: runs.compactMap { run -> (String, String)? in
                guard let state = run["state"] as? String, let id = run["customer_id"] as? String else { return nil }
                return (id, state)
            })
            let mia = try #require(try await env.customer("mia")["id"] as? String)
            let ned = try #require(try await env.customer("noemail")["id"] as? String)
            #expect(states[mia] == "completed")
            #expect(states[ned] == "failed")
            let nedRun = try #require(runs.first { $0["customer_id"] as? String == ned })
            #expect((nedRun["error"] as? String)?.contains("no email trait") == true, "\(nedRun)")

            // Withdrawn consent: the next run completes, and its email is recorded blocked (never sent).
            _ = try await env.http.call(.post, "/api/v1/customers/\(mia)/consents", key: env.key, json: [
                "purpose": "surveys", "channel": "email", "status": "withdrawn"])
            env.clock.advance(.seconds(86_401))
            try await env.track("mia", "Ticket Resolved", ["agent": "Lee", "ticket_id": "T-3"])
            try await env.drain()
            env.clock.advance(.seconds(7_201))
            try await env.drain()
            let blocked = try await env.http.get("/api/v1/emails?state=blocked", key: env.key).data
            #expect(blocked.count == 1 && blocked.first?["subject"] as? String == "How did Lee do?", "\(blocked)")
        }
    }
}
