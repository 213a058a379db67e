import Foundation
import Hummingbird
import RapportCore
import RapportRuntime
import Testing

/// Metric breakdowns by a customer trait (read now), by account, and a question other than the survey's first
/// (`question=`), docs/api.md "Metrics".
@Suite("Metric breakdowns by trait, account and question")
struct MetricBreakdownTests {
    static func survey(_ http: TestHTTP, _ key: String) async throws -> String {
        let made = try await http.call(.post, "/api/v1/surveys", key: key, json: [
            "name": "After delivery", "questions": [
                ["id": "score", "type": "nps", "required": true, "text": "How likely are you to recommend us?"],
                ["id": "support", "type": "csat", "text": "How satisfied were you with our support?", "scale": "1-5"],
                ["id": "effort", "type": "ces", "text": "It was easy."],
            ], "settings": ["follow_up": ["enabled": false]]])
        let id = try #require(made.string("id"), "\(made.text)")
        #expect(try await http.call(.post, "/api/v1/surveys/\(id)/activate", key: key).status == .ok)
        return id
    }

    @Test func byTraitByAccountAndByAQuestionThatIsNotTheFirst() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            let survey = try await Self.survey(http, key)
            // (nps, support csat or nil, plan trait, account)
            let answers: [(Int, Int?, JSONValue?, String?)] = [
                (10, 5, .string("pro"), "Globex"), (9, 4, .string("pro"), "Globex"), (3, 1, .string("free"), "Initech"),
                (8, nil, .number(3), nil), (0, 2, nil, "Initech"),
            ]
            let workspaceId = acme.workspace.id, ids = services.core.ids
            var accountIds: [String: String] = [:]
            for name in ["Globex", "Initech"] {
                let account = Account(id: ids.next(), workspaceId: workspaceId, groupId: name.lowercased(), traits: ["name": .string(name)],
                                      createdAt: 0, updatedAt: 0)
                try await services.core.store.write { try await $0.accounts.upsert(account) }
                accountIds[name] = account.id
            }
            for (index, (score, support, plan, account)) in answers.enumerated() {
                var given: [String: Any] = ["score": score]
                if let support { given["support"] = support }
                let reply = try await http.call(.post, "/api/v1/surveys/\(survey)/responses", key: key, json: [
                    "email": "c\(index)@example.com", "answers": given, "submitted_at": "2026-03-0\(index + 2)T09:00:00Z", "channel": "import"])
                #expect(reply.status == .created, "\(reply.text)")
                let customerId = try #require(reply.string("customer_id"), "\(reply.text)")
                let accountId = account.flatMap { accountIds[$0] }
                try await services.core.store.write { repos in
                    if var customer = try await repos.customers.find(workspaceId: workspaceId, ids: [customerId]).first, let plan {
                        customer.traits["plan"] = plan
                        try await repos.customers.update(customer)
                    }
                    if let accountId { try await repos.accounts.addMember(workspaceId: workspaceId, accountId: accountId, customerId: customerId, at: 0) }
                }
            }
            let range = "from=2026-03-01&to=2026-03-31"

            let byPlan = try await http.get("/api/v1/metrics/nps?\(range)&group_by=trait.plan", key: key)
            #expect(byPlan.status == .ok && byPlan.json["group_by"] as? String == "trait.plan", "\(byPlan.text)")
            let plans = try #require(byPlan.json["groups"] as? [[String: Any]])
            let planValues = Dictionary(uniqueKeysWithValues: plans.map { ($0["label"] as? String ?? "?", ($0["estimate"] as? [String: Any])?["value"] as? Double) })
            #expect(planValues == ["pro": 100, "free": -100, "3": 0, "(none)": -100], "\(byPlan.text)")

            let byAccount = try await http.get("/api/v1/metrics/nps?\(range)&group_by=account", key: key)
            let accounts = try #require(byAccount.json["groups"] as? [[String: Any]], "\(byAccount.text)")
            #expect(Set(accounts.compactMap { $0["label"] as? String }) == ["Globex", "Initech", "(none)"], "\(byAccount.text)")
            #expect(accounts.last?["label"] as? String == "(none)")
            let globex = try #require(accounts.first { $0["label"] as? String == "Globex" })
            #expect(globex["key"] as? String == accountIds["Globex"] && (globex["estimate"] as? [String: Any])?["value"] as? Double == 100)
            let initech = try #require(accounts.first { $0["label"] as? String == "Initech" })
            #expect((initech["estimate"] as? [String: Any])?["value"] as? Double == -100)

            // The second question's CSAT: 5 and 4 of 1–5 are satisfied, 1 and 2 are not; the unanswered one is not counted.
            let support = try await http.get("/api/v1/metrics/csat?\(range)&survey=\(survey)&question=support", key: key)
            #expect(support.status == .ok && support.json["question"] as? String == "support", "\(support.text)")
            let supportEstimate = try #require((support.json["overall"] as? [String: Any])?["estimate"] as? [String: Any])
            #expect(supportEstimate["value"] as? Double == 50 && supportEstimate["n"] as? Int == 4, "\(supportEstimate)")
            let bySupportPlan = try await http.get("/api/v1/metrics/csat?\(range)&question=support&group_by=trait.plan", key: key)
            #expect(((bySupportPlan.json["groups"] as? [[String: Any]])?.first?["estimate"] as? [String: Any])?["n"] as? Int == 2)
            // The first question by its id is the headline NPS.
            let first = try await http.get("/api/v1/metrics/nps?\(range)&question=score", key: key)
            #expect(((first.json["overall"] as? [String: Any])?["estimate"] as? [String: Any])?["n"] as? Int == 5, "\(first.text)")
            // Nobody answered the effort question: no value.
            let effort = try await http.get("/api/v1/metrics/ces?\(range)&question=effort", key: key)
            #expect(effort.status == .ok && (effort.json["overall"] as? [String: Any])?["estimate"] is NSNull, "\(effort.text)")

            for (query, status, field) in [("question=support&survey=\(survey)", 422, "question"), ("question=Bad-Id", 400, "question"),
                                           ("group_by=trait.", 400, "group_by"), ("group_by=trait.a%20b", 400, "group_by")] {
                let reply = try await http.get("/api/v1/metrics/nps?\(query)", key: key)
                #expect(Int(reply.status.code) == status && SurveyTests.field(reply) == field, "\(query): \(reply.text)")
            }
        }
    }
}
