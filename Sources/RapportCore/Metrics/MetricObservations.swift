import Foundation

/// Reads what a metric query measures, as observations with their groups' labels: completed responses (NPS, CSAT,
/// CES), delivered invitations (response rate) or follow-up cases (time to close), of the query's surveys, in
/// [from, to), of the segment's customers, with the agents' teams, customer traits or accounts when the query groups or
/// filters by them (docs/methods.md).
struct MetricObservations: Sendable {
    var observations: [MetricObservation]
    /// Labels of group keys that are ids: survey names, account names, owners' names.
    var labels: [String: String]

    static func load(_ repos: any Repositories, workspaceId: String, query: MetricQuery) async throws -> MetricObservations {
        let surveys = try await Self.surveys(repos, workspaceId: workspaceId, query: query)
        guard !surveys.isEmpty else { return MetricObservations(observations: [], labels: [:]) }
        var labels = Dictionary(surveys.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        let ids = surveys.map(\.id)
        var observations: [MetricObservation]
        switch query.metric {
        case .nps, .csat, .ces:
            let rows = try await repos.surveyResponses.metricRows(workspaceId: workspaceId, surveyIds: ids, from: query.from,
                                                                  to: query.to, withAnswers: query.questionId != nil)
            let questions = Dictionary(surveys.compactMap { survey in
                survey.definition.questions.first { $0.id == query.questionId }.map { (survey.id, $0) }
            }, uniquingKeysWith: { first, _ in first })
            observations = rows.compactMap { row -> MetricObservation? in
                var score = row.score, band = row.band
                if let questionId = query.questionId {
                    guard let question = questions[row.surveyId], let number = row.answers[questionId]?.numberValue,
                          number == number.rounded(), let value = Int(exactly: number), let questionBand = question.band(of: value)
                    else { return nil }
                    score = value
                    band = questionBand
                }
                guard let score else { return nil }
                return MetricObservation(surveyId: row.surveyId, customerId: row.customerId, at: row.submittedAt, channel: row.channel,
                                         attributes: row.attributes, score: score, band: band)
            }
        case .responseRate:
            observations = try await repos.surveyInvitations.metricRows(workspaceId: workspaceId, surveyIds: ids, from: query.from,
                                                                        to: query.to).map { row in
                MetricObservation(surveyId: row.surveyId, customerId: row.customerId, at: row.sentAt, channel: row.channel,
                                  attributes: row.attributes, score: row.responded ? 1 : 0)
            }
        case .followUpTime:
            observations = try await repos.followUps.metricRows(workspaceId: workspaceId, surveyIds: ids, from: query.from,
                                                                to: query.to).map { row -> MetricObservation in
                // The agent of a case is its owner, not the response's `agent` attribute; its team is the owner's.
                var attributes = row.attributes
                attributes["agent"] = row.ownerId
                attributes["team"] = nil
                return MetricObservation(surveyId: row.surveyId, customerId: row.customerId, at: row.openedAt, channel: row.channel,
                                         attributes: attributes, duration: row.closedAt.map { Double($0 - row.openedAt) })
            }
        }
        if let segmentId = query.segmentId {
            guard try await repos.segments.find(workspaceId: workspaceId, id: segmentId) != nil else { throw RapportError.notFound("segment") }
            let members = Set(try await repos.segments.memberIds(workspaceId: workspaceId, segmentId: segmentId))
            observations = observations.filter { $0.customerId.map(members.contains) ?? false }
        }
        if query.groupBy == .attribute("team") || query.attributes["team"] != nil || (query.metric == .followUpTime && query.groupBy == .attribute("agent")) {
            try await Self.addAgentTeams(&observations, labels: &labels, repos, workspaceId: workspaceId, ownersAreIds: query.metric == .followUpTime)
        }
        switch query.groupBy {
        case .trait(let name): try await Self.addTraits(&observations, name: name, repos, workspaceId: workspaceId)
        case .account: try await Self.addAccounts(&observations, labels: &labels, repos, workspaceId: workspaceId)
        case .segment: try await Self.addSegments(&observations, labels: &labels, repos, workspaceId: workspaceId)
        default: break
        }
        return MetricObservations(observations: observations, labels: labels)
    }

    /// The query's survey, or every survey the metric can read: for NPS, CSAT and CES those whose first question (or
    /// the question `question`) is of the metric's type.
    static func surveys(_ repos: any Repositories, workspaceId: String, query: MetricQuery) async throws -> [Survey] {
        let type = query.metric.questionType
        if query.questionId != nil, type == nil {
            throw RapportError.invalid("question", "question applies to nps, csat and ces only.")
        }
        func measures(_ survey: Survey) -> Bool {
            guard let type else { return true }
            if let questionId = query.questionId {
                return survey.definition.questions.contains { $0.id == questionId && $0.type == type }
            }
            return survey.definition.questions.first?.type == type
        }
        if let id = query.surveyId {
            guard let survey = try await repos.surveys.find(workspaceId: workspaceId, id: id) else { throw RapportError.notFound("survey") }
            guard measures(survey) else {
                let metric = query.metric.rawValue
                if let questionId = query.questionId {
                    throw RapportError.invalid("question", "The survey \"\(survey.name)\" has no \(metric) question \"\(questionId)\".")
                }
                throw RapportError.invalid("survey", "The survey \"\(survey.name)\" does not open with a \(metric) question, so it has no \(metric).")
            }
            return [survey]
        }
        var surveys: [Survey] = []
        var page = PageRequest(limit: PageRequest.maxLimit)
        while true {
            let batch = try await repos.surveys.list(workspaceId: workspaceId, status: nil, page: page)
            surveys += batch.items
            guard let next = batch.nextCursor else { break }
            page.after = next
        }
        return surveys.filter(measures)
    }

    /// The teams of each observation's agent: a member named by the `agent` attribute (user id or email, as follow-up
    /// cases pick their owner) or, for follow-up cases, the owner; labels of owners for `group_by=agent`.
    static func addAgentTeams(_ observations: inout [MetricObservation], labels: inout [String: String], _ repos: any Repositories,
                              workspaceId: String, ownersAreIds: Bool) async throws {
        var members: [Member] = []
        var page = PageRequest(limit: PageRequest.maxLimit)
        while true {
            let batch = try await repos.memberships.members(workspaceId: workspaceId, page: page)
            members += batch.items
            guard let next = batch.nextCursor else { break }
            page.after = next
        }
        let idsByEmail = Dictionary(members.map { ($0.user.email.lowercased(), $0.user.id) }, uniquingKeysWith: { first, _ in first })
        if ownersAreIds {
            for member in members { labels[member.user.id] = member.user.name ?? member.user.email }
        }
        var teamsByUser: [String: [String]] = [:]
        for team in try await repos.agentTeams.list(workspaceId: workspaceId) {
            for userId in team.memberIds { teamsByUser[userId, default: []].append(team.name) }
        }
        for index in observations.indices {
            guard let agent = observations[index].attributes["agent"]?.trimmed.lowercased(), !agent.isEmpty else { continue }
            let userId = IDGenerator.isUUID(agent) ? agent : idsByEmail[agent]
            observations[index].agentTeams = userId.flatMap { teamsByUser[$0] } ?? []
        }
    }

    /// Each observation's customer's trait `name` as it is now, as text (numbers without a trailing ".0").
    static func addTraits(_ observations: inout [MetricObservation], name: String, _ repos: any Repositories,
                          workspaceId: String) async throws {
        let ids = Array(Set(observations.compactMap(\.customerId)))
        var values: [String: String] = [:]
        for start in stride(from: 0, to: ids.count, by: 500) {
            for customer in try await repos.customers.find(workspaceId: workspaceId, ids: Array(ids[start..<min(start + 500, ids.count)])) {
                values[customer.id] = customer.traits[name].flatMap(Self.text)
            }
        }
        for index in observations.indices { observations[index].customerKeys = [observations[index].customerId.flatMap { values[$0] }] }
    }

    /// Each observation's customer's accounts (every one of them; none: the "(none)" group).
    static func addAccounts(_ observations: inout [MetricObservation], labels: inout [String: String], _ repos: any Repositories,
                            workspaceId: String) async throws {
        let ids = Array(Set(observations.compactMap(\.customerId)))
        var accounts: [String: [String]] = [:]
        for start in stride(from: 0, to: ids.count, by: 500) {
            for link in try await repos.accounts.links(workspaceId: workspaceId, customerIds: Array(ids[start..<min(start + 500, ids.count)])) {
                accounts[link.customerId, default: []].append(link.accountId)
                labels[link.accountId] = link.accountName ?? link.accountId
            }
        }
        for index in observations.indices {
            let keys = observations[index].customerId.flatMap { accounts[$0] } ?? []
            observations[index].customerKeys = keys.isEmpty ? [nil] : keys.sorted()
        }
    }

    /// Each observation's customer's segments as they are now (every one of them; none: the "(none)" group, as for
    /// accounts), labelled by the segments' names.
    static func addSegments(_ observations: inout [MetricObservation], labels: inout [String: String], _ repos: any Repositories,
                            workspaceId: String) async throws {
        var segments: [String: [String]] = [:]
        for segment in try await repos.segments.all(workspaceId: workspaceId) {
            labels[segment.id] = segment.name
            for customerId in try await repos.segments.memberIds(workspaceId: workspaceId, segmentId: segment.id) {
                segments[customerId, default: []].append(segment.id)
            }
        }
        for index in observations.indices {
            let keys = observations[index].customerId.flatMap { segments[$0] } ?? []
            observations[index].customerKeys = keys.isEmpty ? [nil] : keys.sorted()
        }
    }

    /// A trait value as a group key: text as is, numbers and booleans written out; nil for null, lists and objects.
    static func text(_ value: JSONValue) -> String? {
        switch value {
        case .string(let text): return text
        case .bool(let flag): return flag ? "true" : "false"
        case .number(let number): return number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .bigInteger(let digits): return digits
        default: return nil
        }
    }
}
