import Foundation
import Hummingbird
import RapportCore
import Testing

/// Survey responses through the API (answers given elsewhere, or historic ones with their dates): checked against the
/// version they answer, tied to the customer (found or created), on the timeline with their own date, filtered by band,
/// sent to webhooks; roles and tenancy.
@Suite("Survey responses")
struct SurveyResponseTests {
    static func survey(_ http: TestHTTP, _ key: String) async throws -> String {
        let made = try await http.call(.post, "/api/v1/surveys", key: key, json: SurveyTests.afterTicket)
        return try #require(made.string("id"), "\(made.text)")
    }

    @Test func aHistoricAnswerLandsOnTheRightCustomerWithItsDate() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            let id = try await Self.survey(http, key)
            _ = try await http.call(.post, "/api/v1/surveys/\(id)/activate", key: key)
            let endpoint = try await http.call(.post, "/api/v1/webhooks", key: key, json: [
                "url": "http://93.184.216.34/hooks", "event_types": ["survey.response.completed"]])
            #expect(endpoint.status == .created, "\(endpoint.text)")

            let reply = try await http.call(.post, "/api/v1/surveys/\(id)/responses", key: key, json: [
                "email": "Mia@Example.com", "submitted_at": "2025-03-14T09:30:00Z", "channel": "import",
                "answers": ["score": 3, "reason": "  Waited a week for an answer. "],
                "attributes": ["agent": "sam", "team": "Tier 1", "ticket_id": 1042],
            ])
            #expect(reply.status == .created, "\(reply.text)")
            #expect(reply.json["score"] as? Int == 3 && reply.string("band") == "detractor")
            #expect((reply.json["answers"] as? [String: Any])?["reason"] as? String == "Waited a week for an answer.")
            #expect(reply.json["attributes"] as? [String: String] == ["agent": "sam", "team": "Tier 1", "ticket_id": "1042"])
            #expect(reply.string("submitted_at") == "2025-03-14T09:30:00.000Z" && reply.json["version"] as? Int == 1)
            #expect(reply.string("channel") == "import" && reply.string("status") == "completed" && reply.string("language") == "en")
            let responseId = try #require(reply.string("id"))
            let customerId = try #require(reply.string("customer_id"))

            // The customer was made from the email; the answer is on their timeline at its own date.
            let customer = try await http.get("/api/v1/customers/\(customerId)", key: key)
            let identifiers = (customer.json["identifiers"] as? [[String: Any]])?.compactMap { $0["value"] as? String }
            #expect(identifiers == ["mia@example.com"], "\(customer.text)")
            let timeline = try await http.get("/api/v1/customers/\(customerId)/timeline?type=survey_response", key: key).data
            #expect(timeline.count == 1)
            #expect(timeline.first?["name"] as? String == "After a resolved ticket")
            #expect(timeline.first?["occurred_at"] as? String == "2025-03-14T09:30:00.000Z")
            let properties = try #require(timeline.first?["properties"] as? [String: Any])
            #expect(properties["score"] as? Int == 3 && properties["band"] as? String == "detractor")
            #expect((properties["attributes"] as? [String: Any])?["agent"] as? String == "sam")

            // A second answer, naming the customer by id, lands on Mia too.
            let promoter = try await http.call(.post, "/api/v1/surveys/\(id)/responses", key: key, json: [
                "customer_id": customerId, "answers": ["score": 10]])
            #expect(promoter.status == .created && promoter.string("band") == "promoter", "\(promoter.text)")
            #expect(promoter.string("customer_id") == customerId)

            let detractors = try await http.get("/api/v1/surveys/\(id)/responses?band=detractor", key: key).data
            #expect(detractors.compactMap { $0["id"] as? String } == [responseId])
            #expect(try await http.get("/api/v1/surveys/\(id)/responses", key: key).data.count == 2)
            #expect(try await http.get("/api/v1/surveys/\(id)/responses?customer_id=\(customerId)", key: key).data.count == 2)
            #expect(try await http.get("/api/v1/surveys/\(id)/responses?band=grumpy", key: key).status == .badRequest)
            #expect(try await http.get("/api/v1/surveys/\(id)/responses/\(responseId)", key: key).string("band") == "detractor")

            // Each completed response is a signed webhook delivery with its score.
            let endpointId = try #require(endpoint.string("id"))
            let deliveries = try await http.get("/api/v1/webhooks/\(endpointId)/deliveries", key: key).data
            #expect(deliveries.count == 2)
            let payload = try #require(deliveries.last?["payload"] as? [String: Any])
            #expect(payload["type"] as? String == "survey.response.completed")
            #expect((payload["data"] as? [String: Any])?["score"] as? Int == 3)
        }
    }

    @Test func answersAreCheckedAgainstTheVersionTheyAnswer() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            let id = try await Self.survey(http, key)
            func answer(_ body: [String: Any]) async throws -> TestHTTP.Reply {
                var full = body
                if full["email"] == nil, full["customer_id"] == nil { full["email"] = "ann@example.com" }
                return try await http.call(.post, "/api/v1/surveys/\(id)/responses", key: key, json: full)
            }
            for (body, field) in [
                (["answers": ["score": 11]], "answers.score"),
                (["answers": ["mood": "ok", "score": 5]], "answers.mood"),
                (["answers": ["score": 10, "reason": "Great"]], "answers.reason"),
                (["answers": ["reason": "No score"]], "answers.reason"),
                (["answers": ["reason": NSNull()]], "answers.score"),
                (["answers": [:]], "answers"),
                (["answers": ["score": 5], "channel": "fax"], "channel"),
                (["answers": ["score": 5], "attributes": ["Agent Name": "x"]], "attributes.Agent Name"),
                (["answers": ["score": 5], "submitted_at": "1990-01-01T00:00:00Z"], "submitted_at"),
                (["answers": ["score": 5], "version": 2], "version"),
                (["answers": ["score": 5], "language": "de"], "language"),
                (["answers": ["score": 5], "email": "not-an-address"], "email"),
            ] as [([String: Any], String)] {
                let reply = try await answer(body)
                #expect(reply.status == .unprocessableContent, "\(body): \(reply.text)")
                #expect(SurveyTests.field(reply) == field, "\(body): \(reply.text)")
            }
            let anonymous = try await http.call(.post, "/api/v1/surveys/\(id)/responses", key: key, json: ["answers": ["score": 5]])
            #expect(anonymous.status == .unprocessableContent && SurveyTests.field(anonymous) == "customer_id")
            #expect(try await http.get("/api/v1/surveys/\(id)/responses", key: key).data.isEmpty, "nothing stored")
            #expect(try await http.get("/api/v1/customers", key: key).data.isEmpty, "no profile made by a refused answer")

            // An answer publishes the draft's version: changing the questions now makes version 2, and answers to
            // version 1 are still checked against version 1.
            #expect(try await answer(["answers": ["score": 6, "reason": "Slow"]]).status == .created)
            let changed = try await http.call(.patch, "/api/v1/surveys/\(id)", key: key, json: [
                "questions": [["id": "csat", "type": "csat", "text": "How satisfied are you?"]]])
            #expect(changed.json["version"] as? Int == 2, "\(changed.text)")
            #expect(try await http.call(.delete, "/api/v1/surveys/\(id)", key: key).errorCode == "survey_in_use")
            let current = try await answer(["answers": ["csat": 4]])
            #expect(current.status == .created && current.string("band") == "positive" && current.json["version"] as? Int == 2)
            let old = try await answer(["answers": ["score": 9], "version": 1])
            #expect(old.status == .created && old.string("band") == "promoter" && old.json["version"] as? Int == 1, "\(old.text)")
            #expect(try await answer(["answers": ["score": 9]]).status == .unprocessableContent, "version 2 has no score question")
        }
    }

    @Test func agentsRecordAnalystsReadAndOtherWorkspacesSeeNothing() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let id = try await Self.survey(http, acme.adminKey)
            let writer = try await acme.key(services, scope: .write)
            let reader = try await acme.key(services, scope: .read)
            let made = try await http.call(.post, "/api/v1/surveys/\(id)/responses", key: writer, json: [
                "user_id": "u-1", "answers": ["score": 8]])
            #expect(made.status == .created, "\(made.text)")
            let responseId = try #require(made.string("id"))
            #expect(try await http.call(.post, "/api/v1/surveys/\(id)/responses", key: reader, json: [
                "user_id": "u-1", "answers": ["score": 8]]).status == .forbidden)
            #expect(try await http.get("/api/v1/surveys/\(id)/responses/\(responseId)", key: reader).status == .ok)

            let other = try await Fixture.make(services, name: "Other", ownerEmail: "owner@other.test")
            #expect(try await http.get("/api/v1/surveys/\(id)/responses", key: other.adminKey).status == .notFound)
            #expect(try await http.get("/api/v1/surveys/\(id)/responses/\(responseId)", key: other.adminKey).status == .notFound)
            #expect(try await http.call(.post, "/api/v1/surveys/\(id)/responses", key: other.adminKey, json: [
                "user_id": "u-1", "answers": ["score": 8]]).status == .notFound)
            // A response id of one survey is not found under another.
            let second = try await Self.survey(http, acme.adminKey)
            #expect(try await http.get("/api/v1/surveys/\(second)/responses/\(responseId)", key: acme.adminKey).status == .notFound)
        }
    }
}
