/// Opens the follow-up case an unhappy response calls for, in the transaction that stores the response: the owner
/// is the agent who served (the response's `agent` attribute, when it names a member of the workspace by email or user
/// id), else the survey's default owner, else nobody; the owner is emailed; the customer's timeline and the
/// workspace's webhooks are told.
struct FollowUpOpening: Sendable {
    let deps: CoreDependencies
    let outbox: EmailOutbox?

    /// The case opened for `response`, or nil when its survey's rule does not ask for one (or it has no customer to
    /// get back to, or a case for it exists already).
    func open(for response: SurveyResponse, surveyName: String, in repos: any Repositories) async throws -> FollowUpCase? {
        // Historic answers brought in by an import are not tasks: they were answered (and perhaps followed up) long ago.
        guard response.status == .completed, response.channel != "import", let customerId = response.customerId,
              response.band != nil else { return nil }
        let workspaceId = response.workspaceId
        guard let survey = try await repos.surveys.find(workspaceId: workspaceId, id: response.surveyId),
              survey.settings.followUp.opens(for: response.band) else { return nil }
        if try await repos.followUps.find(workspaceId: workspaceId, responseId: response.id) != nil { return nil }
        let rule = survey.settings.followUp
        var owner = try await member(named: response.attributes["agent"], in: repos, workspaceId: workspaceId)
        if owner == nil, let fallback = rule.defaultOwnerId {
            owner = try await repos.memberships.member(workspaceId: workspaceId, userId: fallback)
        }
        let now = deps.clock.nowMillis
        // Due `dueHours` after the answer, counted from now for an answer recorded later than it was given.
        let answeredAt = max(response.submittedAt ?? now, now)
        let followUp = FollowUpCase(id: deps.ids.next(), workspaceId: workspaceId, surveyId: survey.id, responseId: response.id,
                                    customerId: customerId, ownerId: owner?.user.id, score: response.score, band: response.band,
                                    dueAt: answeredAt + Int64(rule.dueHours) * 3_600_000, createdAt: now, updatedAt: now)
        try await repos.followUps.insert(followUp)
        try await FollowUpEvents(deps: deps).opened(followUp, surveyName: surveyName, in: repos)
        if let owner {
            try await FollowUpNotice(outbox: outbox).send(followUp, to: owner, surveyName: surveyName, reason: .opened, in: repos)
        }
        return followUp
    }

    /// The member the `agent` attribute names, by email (any case) or user id.
    func member(named agent: String?, in repos: any Repositories, workspaceId: String) async throws -> Member? {
        guard let agent = agent?.trimmed, !agent.isEmpty else { return nil }
        if IDGenerator.isUUID(agent) {
            return try await repos.memberships.member(workspaceId: workspaceId, userId: agent.lowercased())
        }
        guard agent.contains("@"), let user = try await repos.users.find(email: agent.lowercased()) else { return nil }
        return try await repos.memberships.member(workspaceId: workspaceId, userId: user.id)
    }
}

/// What opening and closing a case add to the customer's timeline and send to the workspace's webhooks.
struct FollowUpEvents: Sendable {
    let deps: CoreDependencies

    func opened(_ followUp: FollowUpCase, surveyName: String?, in repos: any Repositories) async throws {
        try await record(followUp, name: "Follow-up opened", type: .followUpOpened, surveyName: surveyName, at: followUp.createdAt, in: repos)
    }

    func closed(_ followUp: FollowUpCase, surveyName: String?, in repos: any Repositories) async throws {
        try await record(followUp, name: "Follow-up closed", type: .followUpClosed, surveyName: surveyName,
                         at: followUp.closedAt ?? deps.clock.nowMillis, in: repos)
    }

    private func record(_ followUp: FollowUpCase, name: String, type: WebhookEventType, surveyName: String?, at: Int64,
                        in repos: any Repositories) async throws {
        var summary = followUp.summary
        if let surveyName, case .object(var fields) = summary {
            fields["survey_name"] = .string(surveyName)
            summary = .object(fields)
        }
        if let customerId = followUp.customerId {
            try await repos.activities.insert([
                Activity(id: deps.ids.next(), workspaceId: followUp.workspaceId, customerId: customerId, kind: .followUp,
                         name: name, occurredAt: at, receivedAt: deps.clock.nowMillis, properties: summary),
            ])
        }
        try await WebhookEvents(deps).emit(in: repos, workspaceId: followUp.workspaceId, type: type,
                                           customerId: followUp.customerId, data: summary)
    }
}

/// The email telling an owner about a case: a service message (no consent purpose), like the notice of a disabled
/// webhook. Without an SMTP server the queue page is the only trace.
struct FollowUpNotice: Sendable {
    enum Reason { case opened, assigned }

    let outbox: EmailOutbox?

    func send(_ followUp: FollowUpCase, to owner: Member, surveyName: String, reason: Reason, in repos: any Repositories) async throws {
        guard let outbox, try await outbox.canSend(in: repos, workspaceId: followUp.workspaceId) else { return }
        let page = outbox.settings.publicURL + "/follow-ups/" + followUp.id
        _ = try await outbox.queue(in: repos, EmailOutbox.Request(
            workspaceId: followUp.workspaceId, customerId: nil, to: owner.user.email, purpose: nil, content: Self.content,
            data: ["survey": .string(surveyName), "score": JSONValue(followUp.score), "due": .string(Timestamp.iso8601(followUp.dueAt)),
                   "page": .string(page), "assigned": .bool(reason == .assigned)],
            source: "follow_up"))
    }

    /// The notice's template (Mustache; `data.survey`, `data.score`, `data.due`, `data.page`; `workspace.name`).
    static let content = EmailContent(
        subject: "Follow up with an unhappy customer ({{data.survey}}, score {{data.score}})",
        text: """
            {{#data.assigned}}A follow-up case of {{workspace.name}} was assigned to you.{{/data.assigned}}\
            {{^data.assigned}}A customer answered "{{data.survey}}" with a score of {{data.score}}: the case is yours.{{/data.assigned}}

            Please get back to them by {{data.due}} and record what came of it:
            {{data.page}}
            """,
        html: """
            <p>{{#data.assigned}}A follow-up case of {{workspace.name}} was assigned to you.{{/data.assigned}}\
            {{^data.assigned}}A customer answered “{{data.survey}}” with a score of {{data.score}}: the case is yours.{{/data.assigned}}</p>
            <p>Please get back to them by {{data.due}} and record what came of it on <a href="{{data.page}}">the case's page</a>.</p>
            """)
}

extension FollowUpCase {
    /// What the timeline entry and the webhook events carry.
    public var summary: JSONValue {
        [
            "follow_up_id": .string(id), "survey_id": .string(surveyId), "response_id": .string(responseId),
            "customer_id": JSONValue(customerId), "owner_id": JSONValue(ownerId), "status": .string(status.rawValue),
            "outcome": JSONValue(outcome), "score": JSONValue(score), "band": JSONValue(band?.rawValue),
            "due_at": .string(Timestamp.iso8601(dueAt)), "created_at": .string(Timestamp.iso8601(createdAt)),
            "closed_at": JSONValue(closedAt.map(Timestamp.iso8601)),
        ]
    }
}
