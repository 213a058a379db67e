/// Survey responses: recorded through the API (answers given elsewhere, or historic ones with their own dates) and,
/// later, through the hosted page, the email links and the widget, all by `store`; read and listed by analysts and up.
/// A completed response is a `survey_response` entry on the customer's timeline and a `survey.response.completed`
/// webhook event, in the transaction that stores it; an unhappy one opens a follow-up case (`FollowUpRule`) there too.
public struct SurveyResponseService: Sendable {
    let deps: CoreDependencies
    /// Emails a new follow-up case's owner; nil: cases are opened without telling anyone.
    let outbox: EmailOutbox?

    public init(_ deps: CoreDependencies, outbox: EmailOutbox?) {
        self.deps = deps
        self.outbox = outbox
    }

    /// The JSON fields of `POST /api/v1/surveys/{id}/responses` besides the customer's identifiers and the date.
    public static let fields: Set<String> = ["answers", "channel", "attributes", "language", "version"]

    /// Records a completed response for the customer named by `customerId` or `identifiers` (created when unknown),
    /// answered at `submittedAt` (default now).
    public func record(_ principal: Principal, surveyId: String, customerId: String?, identifiers: [Identifier],
                       submittedAt: Int64?, fields: [String: JSONValue]) async throws -> SurveyResponse {
        try principal.require(Permission.writeData.leastRole)
        try Validation.knownFields(fields, allowed: Self.fields, of: "a response", listAllowed: false)
        let survey = try await SurveyService(deps).get(principal, id: surveyId)
        let now = deps.clock.nowMillis
        var versionNumber = survey.version
        if let raw = fields["version"], !raw.isNull {
            versionNumber = try Validation.integer(raw, "version", 1...survey.version)
        }
        let workspaceId = principal.workspaceId, wanted = versionNumber
        let definition: SurveyDefinition
        if versionNumber == survey.version {
            definition = survey.definition
        } else {
            guard let stored = try await deps.store.read({
                try await $0.surveys.version(workspaceId: workspaceId, surveyId: survey.id, version: wanted)
            }) else { throw RapportError.invalid("version", "The survey has no version \(versionNumber).") }
            definition = stored.definition
        }
        let response = try Self.prepare(survey, version: versionNumber, definition: definition, fields: fields,
                                        submittedAt: submittedAt, defaultChannel: "api", id: deps.ids.next(), now: now)
        guard customerId != nil || !identifiers.isEmpty else {
            throw RapportError.invalid("customer_id", "Name the customer by customer_id, user_id or email.")
        }
        let at = response.submittedAt ?? now
        let deps = self.deps, outbox = self.outbox, prepared = response, surveyName = survey.name
        return try await deps.store.write { repos in
            try await repos.customers.lockIdentities(workspaceId: workspaceId)
            var writer = ProfileWriter(workspaceId: workspaceId, repos: repos, deps: deps)
            var stored = prepared
            if let customerId {
                stored.customerId = try await CustomerService.live(repos, workspaceId: workspaceId, id: customerId).id
            } else {
                try await writer.lookUp(identifiers)
                stored.customerId = try await writer.resolveOrCreate(identifiers: identifiers, at: at)
                try await writer.applyTraits([:], to: stored.customerId!, at: at, source: "api")
            }
            try await writer.flush()
            try await Self.store(stored, surveyName: surveyName, in: repos, deps: deps, outbox: outbox)
            return stored
        }
    }

    /// Stores a new response in `repos`' transaction: publishes the version it answers (later edits make a new one),
    /// and for a completed response with a customer adds the timeline entry and the webhook event, and opens the
    /// follow-up case its survey's rule asks for (emailing the owner through `outbox`).
    static func store(_ response: SurveyResponse, surveyName: String, in repos: any Repositories, deps: CoreDependencies,
                      outbox: EmailOutbox?) async throws {
        try await repos.surveyResponses.insert(response)
        try await repos.surveys.publish(workspaceId: response.workspaceId, surveyId: response.surveyId, version: response.version)
        guard response.status == .completed else { return }
        try await completed(response, surveyName: surveyName, in: repos, deps: deps, outbox: outbox)
    }

    /// What follows a response's completion, once (when it is stored completed, or a partial one is finished): the
    /// timeline entry, the webhook event and, for an unhappy answer, the follow-up case.
    static func completed(_ response: SurveyResponse, surveyName: String, in repos: any Repositories, deps: CoreDependencies,
                          outbox: EmailOutbox?) async throws {
        let summary = response.summary(surveyName: surveyName)
        if let customerId = response.customerId {
            let now = deps.clock.nowMillis
            try await repos.activities.insert([
                Activity(id: deps.ids.next(), workspaceId: response.workspaceId, customerId: customerId, kind: .surveyResponse,
                         name: surveyName, occurredAt: response.submittedAt ?? now, receivedAt: now, properties: summary),
            ])
        }
        try await WebhookEvents(deps).emit(in: repos, workspaceId: response.workspaceId, type: .surveyResponseCompleted,
                                           customerId: response.customerId, data: summary)
        _ = try await FollowUpOpening(deps: deps, outbox: outbox).open(for: response, surveyName: surveyName, in: repos)
    }

    public func get(_ principal: Principal, surveyId: String, id: String) async throws -> SurveyResponse {
        let survey = try await SurveyService(deps).get(principal, id: surveyId)
        guard let response = try await deps.store.read({ try await $0.surveyResponses.find(workspaceId: survey.workspaceId, id: id) }),
              response.surveyId == survey.id else { throw RapportError.notFound("response") }
        return response
    }

    public func list(_ principal: Principal, query: SurveyResponseQuery, page: PageRequest) async throws -> Page<SurveyResponse> {
        let survey = try await SurveyService(deps).get(principal, id: query.surveyId)
        let query = try await searchable(query, of: survey)
        return try await deps.store.read { try await $0.surveyResponses.list(workspaceId: survey.workspaceId, query, page: page) }
    }

    /// How many responses match `query` over all the pages of `list`.
    public func count(_ principal: Principal, query: SurveyResponseQuery) async throws -> Int {
        let survey = try await SurveyService(deps).get(principal, id: query.surveyId)
        let query = try await searchable(query, of: survey)
        return try await deps.store.read { try await $0.surveyResponses.count(workspaceId: survey.workspaceId, query) }
    }

    // MARK: Validation

    /// Checks a response's fields (answers, channel, attributes, language) against `definition`, version `version` of
    /// `survey`, and builds the completed response with its score and band, not yet tied to a customer: the one path
    /// of the API (`record`) and of CSV imports (`SurveyResponseImport`).
    static func prepare(_ survey: Survey, version: Int, definition: SurveyDefinition, fields: [String: JSONValue],
                        submittedAt: Int64?, defaultChannel: String, id: String, now: Int64) throws(RapportError) -> SurveyResponse {
        if let submittedAt, !EventTime.plausible(receivedAt: now).contains(submittedAt) {
            throw RapportError.invalid("submitted_at", "submitted_at must lie between 2000-01-01T00:00:00Z and a day from now.")
        }
        let answers = try Self.answers(fields["answers"], definition: definition, complete: true)
        let channel = try Self.channel(fields["channel"], default: defaultChannel)
        let attributes = try Self.attributes(fields["attributes"])
        var language = definition.defaultLanguage
        if let raw = fields["language"], !raw.isNull {
            guard let code = raw.stringValue, let known = definition.languages.first(where: { $0.lowercased() == code.lowercased() }) else {
                throw RapportError.invalid("language", "language must be one of the survey's: \(definition.languages.joined(separator: ", ")).")
            }
            language = known
        }
        var response = SurveyResponse(id: id, workspaceId: survey.workspaceId, surveyId: survey.id, version: version,
                                      customerId: nil, channel: channel, language: language, answers: answers,
                                      attributes: attributes, status: .completed, submittedAt: submittedAt ?? now,
                                      createdAt: now, updatedAt: now)
        if let primary = definition.primaryQuestion, let number = answers[primary.id]?.numberValue {
            response.score = Int(number)
            response.band = primary.band(of: Int(number))
        }
        return response
    }

    /// Checks answers against the version's questions: every key a question, each answer valid, no answer to a
    /// question its logic hides, and (when `complete`) every required question that is shown answered.
    static func answers(_ raw: JSONValue?, definition: SurveyDefinition, complete: Bool) throws(RapportError) -> [String: JSONValue] {
        guard let given = raw?.objectValue, !given.isEmpty else {
            throw RapportError.invalid("answers", "answers must be an object of question ids to answers, with at least one.")
        }
        var checked: [String: JSONValue] = [:]
        for (id, value) in given.sorted(by: { $0.key < $1.key }) {
            guard let question = definition.questions.first(where: { $0.id == id }) else {
                throw RapportError.invalid("answers.\(id)", "\(id) is not a question of this survey version.")
            }
            if value.isNull { continue }
            checked[id] = try question.validate(value, field: "answers.\(id)")
        }
        let visible = definition.visibleQuestions(answers: checked)
        if let hidden = checked.keys.sorted().first(where: { id in !visible.contains { $0.id == id } }) {
            throw RapportError.invalid("answers.\(hidden)", "\(hidden) is not asked for these answers (its show_if does not hold).")
        }
        if complete, let missing = visible.first(where: { $0.required && checked[$0.id] == nil }) {
            throw RapportError.invalid("answers.\(missing.id)", "\(missing.id) is required.")
        }
        guard !checked.isEmpty else { throw RapportError.invalid("answers", "answers must answer at least one question.") }
        return checked
    }

    static func channel(_ raw: JSONValue?, default fallback: String = "api") throws(RapportError) -> String {
        guard let raw, !raw.isNull else { return fallback }
        guard let channel = raw.stringValue, SurveyResponse.channels.contains(channel) else {
            throw RapportError.invalid("channel", "channel must be one of: \(SurveyResponse.channels.joined(separator: ", ")).")
        }
        return channel
    }

    /// What the interaction was: up to 20 keys (like question ids) with texts of up to 200 characters (numbers are
    /// kept as their text).
    static func attributes(_ raw: JSONValue?) throws(RapportError) -> [String: String] {
        guard let raw, !raw.isNull else { return [:] }
        guard let fields = raw.objectValue, fields.count <= SurveyResponse.maxAttributes else {
            throw RapportError.invalid("attributes", "attributes must be an object of up to \(SurveyResponse.maxAttributes) texts (agent, team, touchpoint, …).")
        }
        var result: [String: String] = [:]
        for (key, value) in fields {
            guard SurveyDefinition.isIdentifier(key) else {
                throw RapportError.invalid("attributes.\(key)", "An attribute name is 1–40 lower-case letters, digits or _, starting with a letter.")
            }
            if value.isNull { continue }
            let text = value.stringValue ?? value.numberValue.map { $0 == $0.rounded() ? String(Int64($0)) : String($0) }
            guard let text = text?.trimmed, !text.isEmpty, text.unicodeScalars.count <= 200 else {
                throw RapportError.invalid("attributes.\(key)", "attributes.\(key) must be a text of 1–200 characters.")
            }
            result[key] = text
        }
        return result
    }
}

extension SurveyResponse {
    /// What the timeline entry and the webhook event carry.
    func summary(surveyName: String?) -> JSONValue {
        [
            "response_id": .string(id), "survey_id": .string(surveyId), "survey_name": JSONValue(surveyName),
            "version": JSONValue(version), "customer_id": JSONValue(customerId), "channel": .string(channel),
            "score": JSONValue(score), "band": JSONValue(band?.rawValue), "answers": .object(answers),
            "attributes": .object(attributes.mapValues { .string($0) }),
            "submitted_at": JSONValue(submittedAt.map(Timestamp.iso8601)),
        ]
    }
}
