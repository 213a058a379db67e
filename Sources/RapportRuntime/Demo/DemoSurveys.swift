import RapportCore

/// The three surveys a CX team would run, active since the start of the demo year: NPS with a reason after a
/// resolved ticket (email), CSAT after a delivered order (email), CES after checkout (web widget and a shared link).
extension DemoGenerator {
    static let npsSurveyName = "Support NPS"
    static let csatSurveyName = "Delivery satisfaction"
    static let cesSurveyName = "Checkout effort"

    mutating func makeSurveys() {
        let created = calendar.midnight(daysAgo: DemoCalendar.days - 1) + 9 * DemoCalendar.hour
        let supportLead = data.agents[0].id, returnsLead = data.agents[5].id
        let nps: JSONValue = [
            ["id": "score", "type": "nps", "required": true,
             "text": "How likely are you to recommend Rapport Demo Store to a friend or colleague?",
             "low_label": "Not at all likely", "high_label": "Extremely likely"],
            ["id": "reason", "type": "text", "text": "What is the main reason for your score?"],
        ]
        let csat: JSONValue = [
            ["id": "satisfaction", "type": "csat", "scale": "1-5", "required": true,
             "text": "How satisfied are you with the delivery of your order?",
             "low_label": "Very dissatisfied", "high_label": "Very satisfied"],
            ["id": "comment", "type": "text", "text": "Anything we could do better?"],
        ]
        let ces: JSONValue = [
            ["id": "effort", "type": "ces", "required": true, "text": "How easy was it to place your order today?",
             "low_label": "Very difficult", "high_label": "Very easy"],
            ["id": "comment", "type": "text", "text": "What would have made it easier?",
             "show_if": ["question": "effort", "band": ["negative", "neutral"]]],
        ]
        let definitions: [(String, JSONValue, SurveySettings)] = [
            (Self.npsSurveyName, nps, SurveySettings(reminderAfterDays: 3, maxReminders: 1,
                                                     followUp: FollowUpRule(bands: [.detractor], dueHours: 48, defaultOwnerId: supportLead))),
            (Self.csatSurveyName, csat, SurveySettings(minDaysBetween: 60,
                                                       followUp: FollowUpRule(bands: [.negative], dueHours: 72, defaultOwnerId: returnsLead))),
            (Self.cesSurveyName, ces, SurveySettings(followUp: FollowUpRule(enabled: false),
                                                     widget: SurveyWidgetRule(enabled: true, paths: ["/checkout/done"], secondsOnPage: 3,
                                                                              dismissDays: 30))),
        ]
        for (name, questions, settings) in definitions {
            // The definitions above are fixed and valid; a failure here is a bug in them, shown by the tests.
            guard let definition = try? SurveyDefinition.parse(languages: nil, questions: questions) else {
                preconditionFailure("demo survey \(name) does not parse")
            }
            data.surveys.append(Survey(id: ids.next(at: created), workspaceId: workspaceId, name: name, status: .active,
                                       definition: definition, published: true, settings: settings, createdBy: ownerId,
                                       createdAt: created, updatedAt: created))
        }
    }
}
