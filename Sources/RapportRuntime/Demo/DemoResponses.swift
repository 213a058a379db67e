import Foundation
import RapportCore

/// Survey invitations and responses, in the order they were due, under the contact rules Rapport applies (consent,
/// the survey's own frequency, the workspace's 30-day recontact period, bounced addresses), with scores that depend
/// on the agent, the support channel, the topic, the season and the new returns policy.
extension DemoGenerator {
    static let recontactDays: Int64 = 30

    mutating func makeInvitationsAndResponses() {
        let nps = data.surveys[0], csat = data.surveys[1], ces = data.surveys[2]
        var lastSent: [Int: Int64] = [:], lastSentCSAT: [Int: Int64] = [:], lastDismissed: [Int: Int64] = [:]
        var npsCount = 0
        for ask in asks.sorted(by: { ($0.at, $0.person) < ($1.at, $1.person) }) where ask.at < now - DemoCalendar.hour {
            let survey = ask.kind == .ticket ? nps : ask.kind == .delivery ? csat : ces
            let person = people[ask.person]
            let channel = ask.kind == .checkout ? "widget" : "email"
            var invitation = SurveyInvitation(
                id: ids.next(at: ask.at), workspaceId: workspaceId, surveyId: survey.id, customerId: person.id, channel: channel,
                attributes: ask.attributes, source: "automation", sendAt: ask.at, createdAt: ask.at - 2 * DemoCalendar.hour,
                updatedAt: ask.at)
            let recentlySent = lastSent[ask.person].map { ask.at - $0 < Self.recontactDays * DemoCalendar.day } ?? false
            if channel == "widget" {
                // The widget is simply not shown to someone the rules hold back; nothing is recorded then.
                let dismissed = lastDismissed[ask.person].map { ask.at - $0 < 30 * DemoCalendar.day } ?? false
                if recentlySent || dismissed { continue }
            } else if let withdrawn = person.surveysWithdrawnAt, withdrawn < ask.at {
                suppress(&invitation, .noConsent, "No consent for surveys: withdrawn for surveys on email via preference_center.")
                continue
            } else if survey.id == csat.id, let last = lastSentCSAT[ask.person], ask.at - last < 60 * DemoCalendar.day {
                suppress(&invitation, .surveyFrequency,
                         "This survey asks one person at most every 60 days; they were asked on \(Self.day(last)).")
                continue
            } else if recentlySent, let last = lastSent[ask.person] {
                suppress(&invitation, .recontactPeriod,
                         "The workspace asks one person at most every \(Self.recontactDays) days; they were asked on \(Self.day(last)).")
                continue
            } else if let bounced = person.bouncedAt, bounced < ask.at {
                suppress(&invitation, .emailSuppressed, "\(person.email) is on the suppression list (bounced).")
                continue
            }
            invitation.status = .sent
            invitation.sentAt = ask.at
            lastSent[ask.person] = ask.at
            if survey.id == csat.id { lastSentCSAT[ask.person] = ask.at }
            let answerChance = ask.kind == .ticket ? 0.5 : ask.kind == .delivery ? 0.34 : 0.45
            let delay: Int64 = channel == "widget" ? Int64.random(in: 20_000...120_000, using: &rng)
                : Int64(exp(Double.random(in: log(600.0)...log(200_000.0), using: &rng)) * 1_000)
            let answeredAt = ask.at + delay
            if chance(answerChance), answeredAt < now {
                var response = respond(ask, survey: survey, channel: channel, invitationId: invitation.id, at: answeredAt,
                                       sequence: ask.kind == .ticket ? npsCount : nil)
                if ask.kind == .ticket {
                    npsCount += 1
                    people[ask.person].lastNPS = (response.score ?? 0, answeredAt)
                }
                response.customerId = person.id
                invitation.status = .responded
                invitation.respondedAt = answeredAt
                invitation.updatedAt = answeredAt
                add(response, surveyName: survey.name)
            } else if channel == "widget", chance(0.6) {
                invitation.status = .dismissed
                invitation.updatedAt = ask.at + 8_000
                lastDismissed[ask.person] = invitation.updatedAt
            } else if channel == "email", survey.settings.reminderAfterDays != nil, ask.at < now - 3 * DemoCalendar.day {
                invitation.remindersSent = 1
                invitation.updatedAt = ask.at + 3 * DemoCalendar.day
            }
            data.invitations.append(invitation)
        }
    }

    /// CES answers through the survey's shared link (the help centre and the newsletter link to it): anonymous.
    mutating func makeLinkResponses() {
        let ces = data.surveys[2]
        for _ in 0..<Int(Double(size.customers) * 0.07) {
            let at = calendar.leisureTime(daysAgo: Int.random(in: 0..<(DemoCalendar.days - 1), using: &rng), using: &rng)
            let source = chance(0.6) ? "help_center" : "newsletter"
            let ask = DemoSurveyAsk(kind: .checkout, person: 0, at: at, attributes: ["touchpoint": "checkout", "source": source], effect: 0)
            add(respond(ask, survey: ces, channel: "link", invitationId: nil, at: at, sequence: nil), surveyName: ces.name)
        }
    }

    private mutating func suppress(_ invitation: inout SurveyInvitation, _ reason: SurveySuppression, _ text: String) {
        invitation.status = .suppressed
        invitation.reason = reason.rawValue
        invitation.reasonText = text
        data.invitations.append(invitation)
        data.activities.append(Activity(
            id: ids.next(at: invitation.sendAt), workspaceId: workspaceId, customerId: invitation.customerId, kind: .surveyInvitation,
            name: data.surveys.first { $0.id == invitation.surveyId }?.name, occurredAt: invitation.sendAt,
            receivedAt: invitation.sendAt,
            properties: ["invitation_id": .string(invitation.id), "survey_id": .string(invitation.surveyId), "status": "suppressed",
                         "reason": .string(reason.rawValue), "message": .string(text)]))
    }

    /// Stores a response, with its timeline entry when it has a customer.
    private mutating func add(_ response: SurveyResponse, surveyName: String) {
        data.responses.append(response)
        guard let customerId = response.customerId, let at = response.submittedAt else { return }
        data.activities.append(Activity(
            id: ids.next(at: at), workspaceId: workspaceId, customerId: customerId, kind: .surveyResponse, name: surveyName,
            occurredAt: at, receivedAt: at,
            properties: ["response_id": .string(response.id), "survey_id": .string(response.surveyId), "survey_name": .string(surveyName),
                         "version": JSONValue(response.version), "customer_id": .string(customerId), "channel": .string(response.channel),
                         "score": JSONValue(response.score), "band": JSONValue(response.band?.rawValue), "answers": .object(response.answers),
                         "attributes": .object(response.attributes.mapValues { .string($0) }),
                         "submitted_at": .string(Timestamp.iso8601(at))]))
    }

    /// A completed response: the headline score by the survey's model, and sometimes a comment that fits it.
    private mutating func respond(_ ask: DemoSurveyAsk, survey: Survey, channel: String, invitationId: String?, at: Int64,
                                  sequence: Int?) -> SurveyResponse {
        let after = at >= data.changeAt
        let question = survey.definition.questions[0]
        let score: Int, comment: String?
        switch ask.kind {
        case .ticket:
            score = npsScore(ask, after: after, at: at, sequence: sequence ?? 0)
            comment = npsComment(score: score, topic: ask.topic, after: after)
        case .delivery:
            let band = demoWeighted(after ? [85, 8, 7] : [80, 10, 10], &rng)
            score = band == 0 ? (chance(0.6) ? 5 : 4) : band == 1 ? 3 : (chance(0.6) ? 2 : 1)
            let texts = band == 0 ? DemoComments.csatPositive : band == 1 ? DemoComments.csatNeutral : DemoComments.csatNegative
            comment = chance(band == 0 ? 0.3 : 0.6) ? texts.pick(&rng) : nil
        case .checkout:
            let band = demoWeighted([72, 14, 14], &rng)
            score = band == 0 ? 5 + demoWeighted([3, 4, 3], &rng) : band == 1 ? 4 : 1 + demoWeighted([1, 2, 3], &rng)
            let texts = band == 0 ? DemoComments.cesPositive : band == 1 ? DemoComments.cesNeutral : DemoComments.cesNegative
            comment = band > 0 && chance(0.6) ? texts.pick(&rng) : nil
        }
        var answers: [String: JSONValue] = [question.id: JSONValue(score)]
        if let comment, let textQuestion = survey.definition.questions.last { answers[textQuestion.id] = .string(comment) }
        return SurveyResponse(id: ids.next(at: at), workspaceId: workspaceId, surveyId: survey.id, version: survey.version,
                              customerId: nil, invitationId: invitationId, channel: channel, language: "en", answers: answers,
                              score: score, band: question.band(of: score), attributes: ask.attributes, status: .completed,
                              submittedAt: at, createdAt: at, updatedAt: at)
    }

    /// An NPS score: the chance of a promoter (and, by as much the other way, of a detractor) starts at 41 % / 29 %
    /// (NPS +12), moves with the agent and the support channel, with the season (a little lower around the winter
    /// peak), and for returns tickets with the returns policy (painful before it, easy after); after the change every
    /// ticket gains a little too. The band is read off a low-discrepancy sequence (golden-ratio steps), so the demo's
    /// NPS follows these chances closely instead of by the luck of one draw; the score within the band is random.
    private mutating func npsScore(_ ask: DemoSurveyAsk, after: Bool, at: Int64, sequence: Int) -> Int {
        let dayOfYear = Double(calendar.daysAgo(of: at))
        let season = 0.02 * cos(2 * Double.pi * dayOfYear / 365)
        var shift = ask.effect + season + (after ? 0.035 : 0)
        if ask.topic == "returns" { shift += after ? 0.05 : -0.1 }
        if ask.topic == "delivery" { shift -= 0.02 }
        let promoter = min(0.9, max(0.05, 0.41 + shift)), detractor = min(0.8, max(0.03, 0.29 - shift))
        let u = (0.5 + Double(sequence) * 0.618_033_988_749_895).truncatingRemainder(dividingBy: 1)
        if u < promoter { return chance(0.55) ? 10 : 9 }
        if u < 1 - detractor { return chance(0.55) ? 8 : 7 }
        return demoWeighted([2, 1, 2, 3, 5, 8, 12], &rng)
    }

    private mutating func npsComment(score: Int, topic: String?, after: Bool) -> String? {
        let band = score >= 9 ? 2 : score >= 7 ? 1 : 0
        guard chance([0.6, 0.45, 0.35][band]) else { return nil }
        if topic == "returns", after, band == 2 { return DemoComments.returnsAfter.pick(&rng) }
        if topic == "returns", !after, band == 0 { return DemoComments.returnsBefore.pick(&rng) }
        return [DemoComments.npsDetractor, DemoComments.npsPassive, DemoComments.npsPromoter][band].pick(&rng)
    }

    static func day(_ millis: Int64) -> String { String(Timestamp.iso8601(millis).prefix(10)) }
}
