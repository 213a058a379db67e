import RapportCore
@testable import RapportStore
import SQLKit
import Testing

/// The two look-ups a survey response import makes for every row read an index, not the survey's responses.
@Suite("Survey response import plans")
struct SurveyResponsePlanTests {
    @Test func aRowsDuplicateChecksReadIndexes() async throws {
        try await TestApp.withDatabase { database in
            let external = try await StoreUpkeepTests.plan(database, SQLSurveyResponseRepository.externalIdQuery(
                workspaceId: "w", surveyId: "s", externalId: "R1"))
            let instant = try await StoreUpkeepTests.plan(database, SQLSurveyResponseRepository.sameInstantQuery(
                workspaceId: "w", surveyId: "s", customerId: "c", submittedAt: 1))
            for plan in [external, instant] {
                #expect(!plan.contains("SCAN survey_responses") && !plan.contains("Seq Scan"), "\(plan)")
            }
            if database.kind == .sqlite {
                #expect(external.contains("survey_responses_by_external_id"), "\(external)")
                #expect(instant.contains("survey_responses_by_customer") || instant.contains("survey_responses_by_date"), "\(instant)")
            }
        }
    }
}
