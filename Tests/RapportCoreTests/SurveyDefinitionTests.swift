import RapportCore
import Testing

/// Survey questions as the domain reads them: score bands by the published definitions, answers checked and stored in
/// one form, the language picked from a customer's locale, and logic that shows a follow-up.
@Suite("Survey definitions")
struct SurveyDefinitionTests {
    static func definition(_ questions: JSONValue, languages: JSONValue? = nil) throws -> SurveyDefinition {
        try SurveyDefinition.parse(languages: languages, questions: questions)
    }

    @Test func bandsFollowThePublishedDefinitions() throws {
        let nps = SurveyQuestion(id: "nps", type: .nps, text: ["en": "?"])
        #expect((0...10).map { nps.band(of: $0)! } == Array(repeating: ScoreBand.detractor, count: 7) + [.passive, .passive, .promoter, .promoter])
        #expect(nps.band(of: 11) == nil && nps.band(of: -1) == nil)

        let five = SurveyQuestion(id: "c", type: .csat, text: ["en": "?"], csatScale: .five)
        #expect((1...5).map { five.band(of: $0)! } == [.negative, .negative, .neutral, .positive, .positive])
        let ten = SurveyQuestion(id: "c", type: .csat, text: ["en": "?"], csatScale: .ten)
        #expect(ten.band(of: 2) == .negative && ten.band(of: 3) == .neutral && ten.band(of: 8) == .neutral && ten.band(of: 9) == .positive)
        let thumbs = SurveyQuestion(id: "c", type: .csat, text: ["en": "?"], csatScale: .thumbs)
        #expect(thumbs.band(of: 1) == .negative && thumbs.band(of: 2) == .positive && thumbs.band(of: 3) == nil)

        let ces = SurveyQuestion(id: "e", type: .ces, text: ["en": "?"])
        #expect((1...7).map { ces.band(of: $0)! } == [.negative, .negative, .negative, .neutral, .positive, .positive, .positive])
        #expect(SurveyQuestion(id: "r", type: .rating, text: ["en": "?"], ratingMax: 5).band(of: 5) == nil)
    }

    @Test func answersAreCheckedAndStoredInOneForm() throws {
        let survey = try Self.definition([
            ["id": "score", "type": "nps", "text": "How likely?"],
            ["id": "topics", "type": "multiple_choice", "text": "What?", "options": [
                ["id": "price", "text": "Price"], ["id": "speed", "text": "Speed"], ["id": "staff", "text": "Staff"]]],
            ["id": "why", "type": "text", "text": "Why?"],
        ])
        let (score, topics, why) = (survey.questions[0], survey.questions[1], survey.questions[2])
        #expect(try score.validate(7, field: "a") == .number(7))
        #expect(try score.validate("9", field: "a") == .number(9), "a form posts text")
        #expect(throws: RapportError.self) { try score.validate(11, field: "a") }
        #expect(throws: RapportError.self) { try score.validate(6.5, field: "a") }
        #expect(try topics.validate(["staff", "price"], field: "a") == ["price", "staff"], "in the survey's order")
        #expect(throws: RapportError.self) { try topics.validate(["price", "nope"], field: "a") }
        #expect(throws: RapportError.self) { try topics.validate([], field: "a") }
        #expect(try why.validate("  Slow delivery \n", field: "a") == "Slow delivery")
        #expect(throws: RapportError.self) { try why.validate("   ", field: "a") }
    }

    @Test func theLanguageFollowsTheCustomersLocaleWithAFallback() throws {
        let survey = try Self.definition([["id": "score", "type": "nps", "text": ["en": "How likely?", "fr": "Quelle probabilité ?"]]],
                                         languages: ["en", "fr", "pt-BR"])
        #expect(survey.language(forLocale: "fr-CA") == "fr")
        #expect(survey.language(forLocale: "pt_BR") == "pt-BR")
        #expect(survey.language(forLocale: "pt") == "pt-BR")
        #expect(survey.language(forLocale: "de-DE") == "en")
        #expect(survey.language(forLocale: nil) == "en")
        let question = survey.questions[0]
        #expect(survey.localized(question.text, "fr") == "Quelle probabilité ?")
        #expect(survey.localized(question.text, "pt-BR") == "How likely?", "a missing translation falls back to the default language")
    }

    @Test func aFollowUpIsShownForTheBandsItNames() throws {
        let survey = try Self.definition([
            ["id": "score", "type": "nps", "text": "How likely?"],
            ["id": "fix", "type": "text", "text": "What should we fix?", "show_if": ["question": "score", "band": ["detractor"]]],
            ["id": "love", "type": "text", "text": "What do you love?", "show_if": ["question": "score", "min": 9]],
        ])
        #expect(survey.visibleQuestions(answers: [:]).map(\.id) == ["score"])
        #expect(survey.visibleQuestions(answers: ["score": 3]).map(\.id) == ["score", "fix"])
        #expect(survey.visibleQuestions(answers: ["score": 8]).map(\.id) == ["score"])
        #expect(survey.visibleQuestions(answers: ["score": 10]).map(\.id) == ["score", "love"])
        #expect(survey.primaryQuestion?.id == "score")
        // The stored form reads back the same.
        let again = try SurveyDefinition.parse(languages: survey.json["languages"], questions: survey.json["questions"])
        #expect(again == survey)
    }

    @Test(arguments: [
        (JSONValue.array([]), "questions"),
        ([["id": "Score", "type": "nps", "text": "?"]], "questions[0].id"),
        ([["id": "score", "type": "stars", "text": "?"]], "questions[0].type"),
        ([["id": "score", "type": "nps"]], "questions[0].text"),
        ([["id": "a", "type": "nps", "text": "?"], ["id": "a", "type": "text", "text": "?"]], "questions[1].id"),
        ([["id": "a", "type": "text", "text": "?", "show_if": ["question": "b", "equals": "x"]],
          ["id": "b", "type": "text", "text": "?"]], "questions[0].show_if.question"),
        ([["id": "a", "type": "rating", "text": "?"], ["id": "b", "type": "text", "text": "?", "show_if": ["question": "a", "band": "detractor"]]],
         "questions[1].show_if.band"),
        ([["id": "a", "type": "nps", "text": "?"], ["id": "b", "type": "text", "text": "?", "show_if": ["question": "a", "band": "positive"]]],
         "questions[1].show_if.band"),
        ([["id": "a", "type": "single_choice", "text": "?", "options": [["id": "x", "text": "X"]]]], "questions[0].options"),
        ([["id": "a", "type": "csat", "scale": "1-4", "text": "?"]], "questions[0].scale"),
        ([["id": "a", "type": "text", "text": "?", "max": 5]], "questions[0].max"),
        ([["id": "a", "type": "nps", "text": ["fr": "?"]]], "questions[0].text.fr"),
        ([["id": "a", "type": "nps", "text": [:] as JSONValue]], "questions[0].text.en"),
        ([["id": "a", "type": "nps", "text": "?", "colour": "red"]], "questions[0].colour"),
    ] as [(JSONValue, String)])
    func badDefinitionsNameTheField(questions: JSONValue, field: String) {
        do {
            _ = try Self.definition(questions)
            Issue.record("accepted: \(questions.jsonText)")
        } catch let error as RapportError {
            #expect(error.details["field"] == field, "\(error.message)")
        } catch {
            Issue.record("\(error)")
        }
    }
}
