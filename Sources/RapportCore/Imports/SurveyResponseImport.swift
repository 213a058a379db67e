import Foundation

/// CSV import of historic survey responses (`type=survey_responses`, bound to one survey): each row is checked by the
/// same `SurveyResponseService.prepare` as `POST /api/v1/surveys/{id}/responses` and stored by the same
/// `SurveyResponseService.store` (timeline entry at its own date, webhook event). Columns, documented in
/// docs/surveys.md: `user_id` and/or `email`, `submitted_at` (required), one per question id of the survey's latest
/// version, `response_id`, `channel` (default `import`), `language` and `attr_<name>`.
///
/// Importing a file again adds nothing: a row with a `response_id` is one response per survey and id; a row without
/// one is the same response as any of that survey's responses by the same customer submitted at the same instant.
/// Such a row is rejected as already imported, as an order already imported is (docs/decisions.md).
enum SurveyResponseImport {
    static let fixedColumns: Set<String> = ["submitted_at", "response_id", "channel", "language"]
    static let attributePrefix = "attr_"
    static let maxExternalIdLength = 200

    /// Checks a header against the survey: a `submitted_at` column, and every other column an identifier, a known
    /// column, `attr_<name>` or a question of the latest version.
    static func checkHeader(_ names: [String], survey: Survey) throws(RapportError) {
        guard names.contains("submitted_at") else {
            throw RapportError.invalid("header", "A survey responses file needs a submitted_at column.")
        }
        let questions = Set(survey.definition.questions.map(\.id))
        var known = fixedColumns.union(questions).union(ImportColumns.userIdNames).union(ImportColumns.emailNames)
        known.insert("")  // an unnamed column is ignored, as in the other imports
        for name in names where !known.contains(name) {
            if name.hasPrefix(attributePrefix), SurveyDefinition.isIdentifier(String(name.dropFirst(attributePrefix.count))) {
                continue
            }
            throw RapportError.invalid("header", "Column \(name) is not a question of this survey ("
                + survey.definition.questions.map(\.id).joined(separator: ", ")
                + ") nor one of user_id, email, submitted_at, response_id, channel, language or attr_<name>.")
        }
        guard !questions.isDisjoint(with: names) else {
            throw RapportError.invalid("header", "The header needs a column per question answered: "
                + survey.definition.questions.map(\.id).joined(separator: ", ") + ".")
        }
    }

    /// Reads one row's values (column → non-empty text) into a response to `survey`, checked but with no id or
    /// customer yet. A refusal names the CSV column (`nps`, `attr_agent`), not the API's field.
    static func response(_ values: [String: String], survey: Survey, receivedAt: Int64) throws(RapportError) -> SurveyResponse {
        guard let rawDate = values["submitted_at"] else {
            throw RapportError.invalid("submitted_at", "submitted_at is empty; give the date the answers were given.")
        }
        guard let submittedAt = ISO8601.millis(rawDate) else {
            throw RapportError.invalid("submitted_at", "submitted_at must be a date like 2025-03-14 or 2025-03-14T09:30:00Z (got \(rawDate)).")
        }
        var answers: [String: JSONValue] = [:]
        for question in survey.definition.questions {
            guard let text = values[question.id] else { continue }
            answers[question.id] = question.type == .multipleChoice
                ? .array(text.split(separator: ";").map { String($0).trimmed }.filter { !$0.isEmpty }.map { JSONValue.string($0) })
                : .string(text)
        }
        var attributes: [String: JSONValue] = [:]
        for (name, value) in values where name.hasPrefix(attributePrefix) {
            attributes[String(name.dropFirst(attributePrefix.count))] = .string(value)
        }
        var fields: [String: JSONValue] = ["answers": .object(answers)]
        if !attributes.isEmpty { fields["attributes"] = .object(attributes) }
        if let channel = values["channel"] { fields["channel"] = .string(channel) }
        if let language = values["language"] { fields["language"] = .string(language) }
        var response: SurveyResponse
        do {
            response = try SurveyResponseService.prepare(survey, version: survey.version, definition: survey.definition,
                                                         fields: fields, submittedAt: submittedAt, defaultChannel: "import",
                                                         id: "", now: receivedAt)
        } catch {
            throw columnNamed(error)
        }
        if let externalId = values["response_id"] {
            guard externalId.unicodeScalars.count <= maxExternalIdLength else {
                throw RapportError.invalid("response_id", "response_id must be at most \(maxExternalIdLength) characters.")
            }
            response.externalId = externalId
        }
        return response
    }

    /// The API's field names (`answers.nps`, `attributes.agent`) as the file's columns (`nps`, `attr_agent`).
    static func columnNamed(_ error: RapportError) -> RapportError {
        guard let field = error.details["field"] else { return error }
        var column = field
        if field.hasPrefix("answers.") { column = String(field.dropFirst("answers.".count)) }
        if field.hasPrefix("attributes.") { column = attributePrefix + field.dropFirst("attributes.".count) }
        guard column != field else { return error }
        let message = error.message.replacingOccurrences(of: field, with: column)
        return RapportError(error.kind, code: error.code, message: message, details: error.details.merging(["field": column]) { $1 })
    }

    /// Writes one row's response for the person it names (created when unknown, as `record` does), unless the
    /// survey already has it.
    static func record(_ prepared: SurveyResponse, of row: ImportRow, survey: Survey, with writer: inout ProfileWriter) async throws {
        let (repos, workspaceId) = (writer.repos, writer.workspaceId)
        if let externalId = prepared.externalId,
           try await repos.surveyResponses.id(workspaceId: workspaceId, surveyId: survey.id, externalId: externalId) != nil {
            throw RapportError(.conflict, code: "response_exists", message: "Response \(externalId) was already imported.",
                               details: ["field": "response_id"])
        }
        let at = prepared.submittedAt ?? writer.deps.clock.nowMillis
        let customerId = try await writer.resolveOrCreate(identifiers: row.identifiers, at: at)
        if prepared.externalId == nil, let submittedAt = prepared.submittedAt {
            // Under the profile or one it absorbed earlier in this import (their rows move when the writer flushes).
            for id in writer.storedIds(of: customerId) {
                guard try await repos.surveyResponses.id(workspaceId: workspaceId, surveyId: survey.id, customerId: id,
                                                         submittedAt: submittedAt) != nil else { continue }
                throw RapportError(.conflict, code: "response_exists",
                                   message: "This customer's response submitted at \(Timestamp.iso8601(submittedAt)) was already imported.",
                                   details: ["field": "submitted_at"])
            }
        }
        // The email given becomes the profile's, as in a customers import (an older date never overrides a newer value).
        try await writer.applyTraits(row.traits, to: customerId, at: at, source: "import")
        var response = prepared
        response.id = writer.deps.ids.next()
        response.customerId = customerId
        try await SurveyResponseService.store(response, surveyName: survey.name, in: repos, deps: writer.deps, outbox: nil)
    }
}

extension ImportService {
    /// The survey a `survey_responses` import fills, in the workspace: `404` when it is not there; nil for other kinds.
    func survey(for kind: ImportJob.Kind, surveyId: String?, workspaceId: String) async throws -> Survey? {
        guard kind.needsSurvey else { return nil }
        guard let surveyId, IDGenerator.isUUID(surveyId) else {
            throw RapportError.invalid("survey_id", "A survey_responses import needs the survey_id of the survey it fills.")
        }
        let id = surveyId.lowercased()
        guard let survey = try await deps.store.read({ try await $0.surveys.find(workspaceId: workspaceId, id: id) }) else {
            throw RapportError.notFound("survey")
        }
        return survey
    }
}
