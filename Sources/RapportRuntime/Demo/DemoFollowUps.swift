import Foundation
import RapportCore

/// Follow-up cases for the unhappy answers, opened as the surveys' follow-up rules say (which bands, due how many
/// hours later, owned by the agent who served when they are a member, else by the rule's default owner), then
/// worked: most older cases closed with an outcome and a close time, recent ones open or contacted, some overdue.
extension DemoGenerator {
    static let resolvedOutcomes = ["issue fixed", "refund", "replacement sent", "explained"]
    static let givenUpOutcomes = ["no reply", "customer declined contact", "not actionable"]

    mutating func makeFollowUps() {
        let agentIds = Dictionary(uniqueKeysWithValues: data.agents.map { ($0.email, $0.id) })
        let labels = Dictionary(uniqueKeysWithValues: data.agents.map { ($0.id, $0.email) })
        let surveys = Dictionary(uniqueKeysWithValues: data.surveys.map { ($0.id, $0) })
        for response in data.responses {
            guard let customerId = response.customerId, let submittedAt = response.submittedAt,
                  let survey = surveys[response.surveyId], survey.settings.followUp.opens(for: response.band) else { continue }
            let rule = survey.settings.followUp
            let ownerId = response.attributes["agent"].flatMap { agentIds[$0] } ?? rule.defaultOwnerId
            let createdAt = submittedAt + 5_000
            var followUp = FollowUpCase(id: ids.next(at: createdAt), workspaceId: workspaceId, surveyId: survey.id,
                                        responseId: response.id, customerId: customerId, ownerId: ownerId, score: response.score,
                                        band: response.band, dueAt: submittedAt + Int64(rule.dueHours) * DemoCalendar.hour,
                                        createdAt: createdAt, updatedAt: createdAt)
            let age = now - createdAt
            let weights: [Double] = age > 10 * DemoCalendar.day ? [82, 8, 4, 6] // resolved, won't fix, contacted, open
                : followUp.dueAt < now ? [50, 5, 20, 25] : [25, 0, 30, 45]
            let fate = demoWeighted(weights, &rng)
            let hours = exp(Double.random(in: 0...log(Double(rule.dueHours) * 1.6), using: &rng))
            let workedAt = createdAt + Int64(hours * Double(DemoCalendar.hour))
            if fate <= 1, workedAt < now {
                followUp.status = fate == 0 ? .resolved : .wontFix
                followUp.outcome = (fate == 0 ? Self.resolvedOutcomes : Self.givenUpOutcomes).pick(&rng)
                followUp.closedAt = workedAt
                followUp.updatedAt = workedAt
            } else if fate == 2 || (fate <= 1 && workedAt >= now) {
                followUp.status = .contacted
                followUp.updatedAt = min(workedAt, now - DemoCalendar.minute)
            }
            data.followUps.append(followUp)
            var summary = followUp.summary
            if case .object(var fields) = summary {
                fields["survey_name"] = .string(survey.name)
                summary = .object(fields)
            }
            timeline(customerId, "Follow-up opened", at: createdAt, summary)
            if let closedAt = followUp.closedAt { timeline(customerId, "Follow-up closed", at: closedAt, summary) }
            if let ownerId, followUp.status != .open, chance(0.6) {
                let noteAt = createdAt + (followUp.updatedAt - createdAt) / 2
                data.notes.append(FollowUpNote(id: ids.next(at: noteAt), workspaceId: workspaceId, caseId: followUp.id,
                                               customerId: customerId, authorId: ownerId, authorLabel: labels[ownerId] ?? "agent",
                                               text: DemoComments.followUpNotes.pick(&rng), createdAt: noteAt))
            }
        }
    }

    private mutating func timeline(_ customerId: String, _ name: String, at: Int64, _ summary: JSONValue) {
        data.activities.append(Activity(id: ids.next(at: at), workspaceId: workspaceId, customerId: customerId, kind: .followUp,
                                        name: name, occurredAt: at, receivedAt: at, properties: summary))
    }
}
