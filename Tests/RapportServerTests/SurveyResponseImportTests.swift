import Foundation
import Hummingbird
import RapportCore
import Testing

/// Historic survey responses imported from CSV as an import job (`type=survey_responses`, bound to one survey): each
/// row checked like `POST …/responses`, bad rows listed by number, unknown customers created, the answers on the
/// timeline at their own dates, and a second run of the same file adding nothing. Roles and tenancy.
@Suite("Survey response imports")
struct SurveyResponseImportTests {
    static let file = """
        email,user_id,submitted_at,score,reason,attr_agent,response_id
        ann@example.com,,2025-03-14T09:30:00Z,3,"Slow, very slow",sam,R1
        bob@example.com,,2025-04-01,10,,kim,R2
        ann@example.com,,2025-05-01,11,,sam,R3
        ,u-9,2025-06-01,9,Great,,R4
        carol@example.com,,2025-06-02,8,"Fine
        but slow",kim,
        dave@example.com,,,5,,,

        """

    static func importFile(_ http: TestHTTP, key: String, surveyId: String, _ csv: String) async throws -> TestHTTP.Reply {
        let posted = try await http.call(.post, "/api/v1/imports?type=survey_responses&survey_id=\(surveyId)", key: key,
                                         raw: csv, headers: [.contentType: "text/csv"])
        #expect(posted.status == .accepted, "\(posted.text)")
        #expect(posted.string("type") == "survey_responses" && posted.string("survey_id") == surveyId)
        return try await SegmentAndImportTests.finished(http, key: key, posted)
    }

    @Test func historicAnswersLandOnTheRightCustomersAtTheirDatesAndBadRowsAreListed() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            let id = try await SurveyResponseTests.survey(http, key)

            let done = try await Self.importFile(http, key: key, surveyId: id, Self.file)
            #expect(done.string("status") == "completed", "\(done.text)")
            #expect(done.json["rows_read"] as? Int == 6 && done.json["rows_imported"] as? Int == 3, "\(done.text)")
            let rejections = try #require(done.json["rejections"] as? [[String: Any]])
            #expect(rejections.map { $0["row"] as? Int } == [4, 5, 7], "rows keep their numbers in the file: \(rejections)")
            #expect(rejections.map { $0["field"] as? String } == ["score", "reason", "submitted_at"])
            #expect((rejections.first?["reason"] as? String)?.contains("score must be a whole number from 0 to 10") == true)

            let listed = try await http.get("/api/v1/surveys/\(id)/responses", key: key).data
            #expect(listed.count == 3)
            #expect(Set(listed.compactMap { $0["channel"] as? String }) == ["import"])
            let ann = try #require(listed.first { ($0["attributes"] as? [String: String])?["agent"] == "sam" })
            #expect(ann["submitted_at"] as? String == "2025-03-14T09:30:00.000Z" && ann["band"] as? String == "detractor")
            #expect((ann["answers"] as? [String: Any])?["reason"] as? String == "Slow, very slow")
            let carol = try #require(listed.first { $0["score"] as? Int == 8 })
            #expect((carol["answers"] as? [String: Any])?["reason"] as? String == "Fine\nbut slow")
            #expect(carol["submitted_at"] as? String == "2025-06-02T00:00:00.000Z")

            // The unknown customers were created from their emails; each answer is on the timeline at its own date.
            let annId = try #require(ann["customer_id"] as? String)
            let customer = try await http.get("/api/v1/customers/\(annId)", key: key)
            #expect((customer.json["identifiers"] as? [[String: Any]])?.compactMap { $0["value"] as? String } == ["ann@example.com"])
            let timeline = try await http.get("/api/v1/customers/\(annId)/timeline?type=survey_response", key: key).data
            #expect(timeline.map { $0["occurred_at"] as? String } == ["2025-03-14T09:30:00.000Z"])
            let carolId = try #require(carol["customer_id"] as? String)
            let carolTimeline = try await http.get("/api/v1/customers/\(carolId)/timeline?type=survey_response", key: key).data
            #expect(carolTimeline.map { $0["occurred_at"] as? String } == ["2025-06-02T00:00:00.000Z"])

            // The same file again adds nothing: rows with a response_id and rows without one are both known.
            let again = try await Self.importFile(http, key: key, surveyId: id, Self.file)
            #expect(again.json["rows_imported"] as? Int == 0 && again.json["rows_rejected"] as? Int == 6, "\(again.text)")
            let reasons = (again.json["rejections"] as? [[String: Any]] ?? []).compactMap { $0["reason"] as? String }
            #expect(reasons.filter { $0.contains("already imported") }.count == 3, "\(reasons)")
            #expect(try await http.get("/api/v1/surveys/\(id)/responses", key: key).data.count == 3)
            #expect(try await http.get("/api/v1/customers/\(annId)/timeline?type=survey_response", key: key).data.count == 1)
        }
    }

    @Test func aFileMustFitTheSurveyItFills() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            let id = try await SurveyResponseTests.survey(http, key)
            for (csv, message) in [("email,score\nann@example.com,5\n", "needs a submitted_at column"),
                                   ("email,submitted_at,mood\nann@example.com,2025-01-01,ok\n", "Column mood is not a question"),
                                   ("email,submitted_at,attr_agent\nann@example.com,2025-01-01,sam\n", "a column per question")] {
                let reply = try await http.call(.post, "/api/v1/imports?type=survey_responses&survey_id=\(id)", key: key,
                                                raw: csv, headers: [.contentType: "text/csv"])
                #expect(reply.status == .unprocessableContent, "\(reply.text)")
                let error = try #require(reply.json["error"] as? [String: Any])
                #expect((error["message"] as? String)?.contains(message) == true, "\(error)")
            }
            let missing = try await http.call(.post, "/api/v1/imports?type=survey_responses", key: key,
                                              raw: "email,submitted_at,score\n", headers: [.contentType: "text/csv"])
            #expect(missing.status == .unprocessableContent && SurveyTests.field(missing) == "survey_id", "\(missing.text)")
        }
    }

    @Test func onlyAgentsAndUpImportAndOnlyIntoTheirOwnWorkspacesSurveys() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let id = try await SurveyResponseTests.survey(http, acme.adminKey)
            let csv = "email,submitted_at,score\nann@example.com,2025-01-01,9\n"
            let reader = try await acme.key(services, scope: .read)
            #expect(try await http.call(.post, "/api/v1/imports?type=survey_responses&survey_id=\(id)", key: reader, raw: csv,
                                        headers: [.contentType: "text/csv"]).status == .forbidden)
            let writer = try await acme.key(services, scope: .write)
            let done = try await Self.importFile(http, key: writer, surveyId: id, csv)
            #expect(done.json["rows_imported"] as? Int == 1, "\(done.text)")

            let other = try await Fixture.make(services, name: "Other", ownerEmail: "owner@other.test")
            let foreign = try await http.call(.post, "/api/v1/imports?type=survey_responses&survey_id=\(id)", key: other.adminKey,
                                              raw: csv, headers: [.contentType: "text/csv"])
            #expect(foreign.status == .notFound, "\(foreign.text)")
            let unknown = try await http.call(.post, "/api/v1/imports?type=survey_responses&survey_id=\(UUID().uuidString)",
                                              key: acme.adminKey, raw: csv, headers: [.contentType: "text/csv"])
            #expect(unknown.status == .notFound)
            #expect(try await http.get("/api/v1/imports", key: other.adminKey).data.isEmpty, "no import left behind")
            #expect(try await http.get("/api/v1/surveys/\(id)/responses", key: acme.adminKey).data.count == 1)
        }
    }
}
