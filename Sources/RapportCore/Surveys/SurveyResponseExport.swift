import Foundation

/// A survey's responses as CSV (`GET /api/v1/surveys/{id}/responses.csv`), read page by page so the file is streamed:
/// one column per question of the latest version, then the customer, the date (ISO 8601 UTC), channel, language,
/// score, band and one `attr_<name>` column per attribute seen on the first page (with `agent`, `team`, `touchpoint`
/// always there). Answers to questions of earlier versions that the latest no longer asks are left out.
public struct SurveyResponseExport: Sendable {
    let deps: CoreDependencies
    let workspaceId: String
    let query: SurveyResponseQuery
    let definition: SurveyDefinition
    public static let pageSize = 500
    static let standardAttributes = ["agent", "team", "touchpoint"]

    init(deps: CoreDependencies, workspaceId: String, query: SurveyResponseQuery, definition: SurveyDefinition) {
        self.deps = deps
        self.workspaceId = workspaceId
        self.query = query
        self.definition = definition
    }

    /// Writes the file: the header, then every matching response, newest first, one page of rows per call of `write`.
    public func write(_ write: (String) async throws -> Void) async throws {
        var page = PageRequest(limit: Self.pageSize)
        var attributeNames: [String]?
        let (workspaceId, query) = (self.workspaceId, self.query)
        repeat {
            let current = page
            let (responses, emails) = try await deps.store.read { repos in
                let responses = try await repos.surveyResponses.list(workspaceId: workspaceId, query, page: current)
                let ids = Array(Set(responses.items.compactMap(\.customerId))).sorted()
                return (responses, try await repos.surveyResponses.emails(workspaceId: workspaceId, customerIds: ids))
            }
            var text = ""
            if attributeNames == nil {
                let seen = Set(responses.items.flatMap(\.attributes.keys)).subtracting(Self.standardAttributes)
                let names = Self.standardAttributes + seen.sorted()
                attributeNames = names
                text += CSVText.line(header(attributes: names))
            }
            for response in responses.items {
                text += CSVText.line(row(response, email: response.customerId.flatMap { emails[$0] } ?? "",
                                         attributes: attributeNames ?? []))
            }
            try await write(text)
            page.after = responses.nextCursor.flatMap(Cursor.decode)
        } while page.after != nil
    }

    /// The response's own columns; one named like a question (`score` is a common question id) is prefixed
    /// `response_`, so question columns keep the ids an import reads.
    func header(attributes: [String]) -> [String] {
        let questions = definition.questions.map(\.id)
        let own = ["response_id", "customer_id", "email", "submitted_at", "channel", "language", "version", "score", "band"]
            .map { questions.contains($0) ? "response_" + $0 : $0 }
        return own + questions + attributes.map { "attr_" + $0 }
    }

    func row(_ response: SurveyResponse, email: String, attributes: [String]) -> [String] {
        let answers = definition.questions.map { question -> String in
            guard let answer = response.answers[question.id] else { return "" }
            return Self.text(of: answer)
        }
        return [response.id, response.customerId ?? "", email, response.submittedAt.map(Timestamp.iso8601) ?? "",
                response.channel, response.language, String(response.version), response.score.map(String.init) ?? "",
                response.band?.rawValue ?? ""]
            + answers + attributes.map { response.attributes[$0] ?? "" }
    }

    /// An answer in the form an import takes back: numbers as whole numbers, choices as ids joined by `;`.
    static func text(of answer: JSONValue) -> String {
        if let number = answer.numberValue { return number == number.rounded() ? String(Int64(number)) : String(number) }
        if let list = answer.arrayValue { return list.compactMap(\.stringValue).joined(separator: ";") }
        return answer.stringValue ?? ""
    }
}

/// Writing CSV (RFC 4180): a field with a comma, quote, CR or LF is quoted, quotes doubled; lines end in CRLF. A field
/// that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or CR) gets a leading `'`, as
/// OWASP's "CSV injection" advice says, unless it is a plain number (a negative score or amount stays a number).
public enum CSVText {
    public static func line(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\r\n"
    }

    public static func field(_ raw: String) -> String {
        var value = raw
        if let first = value.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first), Double(value) == nil {
            value = "'" + value
        }
        guard value.unicodeScalars.contains(where: { ",\"\n\r".unicodeScalars.contains($0) }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

extension SurveyResponseService {
    /// The export of the survey's responses that match `query`, checked (role, survey in the workspace) before the
    /// first byte is sent, so a refusal is an ordinary error response.
    public func export(_ principal: Principal, query: SurveyResponseQuery) async throws -> SurveyResponseExport {
        let survey = try await SurveyService(deps).get(principal, id: query.surveyId)
        return SurveyResponseExport(deps: deps, workspaceId: survey.workspaceId, query: try await searchable(query, of: survey),
                                    definition: survey.definition)
    }

    /// `query` with the ids of the text questions of every version of `survey`, which `text` searches.
    func searchable(_ query: SurveyResponseQuery, of survey: Survey) async throws -> SurveyResponseQuery {
        guard query.text != nil else { return query }
        var ids = Set(survey.definition.questions.filter { $0.type == .text }.map(\.id))
        let (workspaceId, surveyId) = (survey.workspaceId, survey.id)
        for number in 1..<max(1, survey.version) {
            let version = try await deps.store.read { try await $0.surveys.version(workspaceId: workspaceId, surveyId: surveyId, version: number) }
            ids.formUnion(version?.definition.questions.filter { $0.type == .text }.map(\.id) ?? [])
        }
        var searchable = query
        searchable.textQuestionIds = ids.sorted()
        return searchable
    }
}
