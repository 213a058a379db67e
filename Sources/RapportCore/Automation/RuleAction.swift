/// What a rule does once its trigger fired, its condition held and its delay passed. Actions run in order, in one
/// transaction with the run's completion (`AutomationActHandler`).
///
/// New actions (sending an email template, a survey, opening a follow-up case) are added here: a case, its JSON in
/// `parse`/`json`, its check against the workspace in `AutomationService.checkReferences`, and its effect in
/// `AutomationActions.perform`.
public enum RuleAction: Sendable, Equatable {
    /// Sets a trait on the profile (with trait history, source `automation`).
    case setTrait(name: String, value: JSONValue)
    /// Adds a note to the customer's timeline.
    case addNote(text: String)
    /// Sends an `automation.rule_fired` event to one webhook endpoint, signed and retried like every webhook.
    case webhook(endpointId: String)
    /// Emails the customer a workspace template through the outbox (docs/email.md): under `purpose` the consent check
    /// and an unsubscribe link apply; the trigger's properties are the template's `data`.
    case sendEmail(templateId: String, purpose: String?)
    /// Invites the customer to an active survey (docs/surveys.md): the invitation is sent at once (after the rule's
    /// delay) under the contact rules, and carries the trigger's properties (agent, team, channel, touchpoint, ticket
    /// or order id…) onto the response as its attributes.
    case sendSurvey(surveyId: String)

    public enum Kind: String, Sendable, CaseIterable {
        case setTrait = "set_trait"
        case addNote = "add_note"
        case webhook
        case sendEmail = "send_email"
        case sendSurvey = "send_survey"
    }

    public var kind: Kind {
        switch self {
        case .setTrait: .setTrait
        case .addNote: .addNote
        case .webhook: .webhook
        case .sendEmail: .sendEmail
        case .sendSurvey: .sendSurvey
        }
    }

    public static let maxActions = 10
    public static let maxNoteLength = 2_000

    /// Parses and validates the action list; errors name the JSON path (`actions[1].text`).
    public static func parseList(_ json: JSONValue, path: String = "actions") throws(RapportError) -> [RuleAction] {
        guard let items = json.arrayValue, !items.isEmpty, items.count <= maxActions else {
            throw RapportError.invalid(path, "\(path) must be an array of 1–\(maxActions) actions.")
        }
        var actions: [RuleAction] = []
        for (index, item) in items.enumerated() { actions.append(try parse(item, path: "\(path)[\(index)]")) }
        return actions
    }

    static func parse(_ json: JSONValue, path: String) throws(RapportError) -> RuleAction {
        guard let fields = json.objectValue else { throw RapportError.invalid(path, "\(path) must be an object.") }
        guard let rawType = fields["type"]?.stringValue, let kind = Kind(rawValue: rawType) else {
            throw RapportError.invalid("\(path).type", "\(path).type must be one of \(Kind.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        func only(_ keys: Set<String>) throws(RapportError) {
            if let unknown = fields.keys.sorted().first(where: { !keys.contains($0) && $0 != "type" }) {
                throw RapportError.invalid("\(path).\(unknown)", "Unknown key \(unknown) for a \(kind.rawValue) action.")
            }
        }
        switch kind {
        case .setTrait:
            try only(["trait", "value"])
            guard let name = fields["trait"]?.stringValue?.trimmed, !name.isEmpty, name.unicodeScalars.count <= 100 else {
                throw RapportError.invalid("\(path).trait", "\(path).trait must be a trait name of 1–100 characters.")
            }
            guard let value = fields["value"] else {
                throw RapportError.invalid("\(path).value", "\(path).value is required (null removes the trait).")
            }
            guard value.encodedSize <= 10_000 else {
                throw RapportError.invalid("\(path).value", "\(path).value must be at most 10000 bytes of JSON.")
            }
            return .setTrait(name: name, value: value)
        case .addNote:
            try only(["text"])
            guard let text = fields["text"]?.stringValue?.trimmed, !text.isEmpty, text.unicodeScalars.count <= maxNoteLength else {
                throw RapportError.invalid("\(path).text", "\(path).text must be 1–\(maxNoteLength) characters.")
            }
            return .addNote(text: text)
        case .webhook:
            try only(["endpoint_id"])
            guard let id = fields["endpoint_id"]?.stringValue, IDGenerator.isUUID(id) else {
                throw RapportError.invalid("\(path).endpoint_id", "\(path).endpoint_id must be a webhook endpoint id.")
            }
            return .webhook(endpointId: id.lowercased())
        case .sendEmail:
            try only(["template_id", "purpose"])
            guard let id = fields["template_id"]?.stringValue, IDGenerator.isUUID(id) else {
                throw RapportError.invalid("\(path).template_id", "\(path).template_id must be an email template id.")
            }
            var purpose: String?
            if let raw = fields["purpose"], raw != .null {
                guard let text = raw.stringValue else {
                    throw RapportError.invalid("\(path).purpose", "\(path).purpose must be a consent purpose such as surveys.")
                }
                purpose = try ContactPolicy.validName(text, field: "\(path).purpose")
            }
            return .sendEmail(templateId: id.lowercased(), purpose: purpose)
        case .sendSurvey:
            try only(["survey_id"])
            guard let id = fields["survey_id"]?.stringValue, IDGenerator.isUUID(id) else {
                throw RapportError.invalid("\(path).survey_id", "\(path).survey_id must be a survey id.")
            }
            return .sendSurvey(surveyId: id.lowercased())
        }
    }

    public var json: JSONValue {
        switch self {
        case .setTrait(let name, let value): ["type": "set_trait", "trait": .string(name), "value": value]
        case .addNote(let text): ["type": "add_note", "text": .string(text)]
        case .webhook(let id): ["type": "webhook", "endpoint_id": .string(id)]
        case .sendEmail(let id, let purpose): ["type": "send_email", "template_id": .string(id), "purpose": JSONValue(purpose)]
        case .sendSurvey(let id): ["type": "send_survey", "survey_id": .string(id)]
        }
    }

    public var summary: String {
        switch self {
        case .setTrait(let name, let value): "Set \(name) = \(value.jsonText)"
        case .addNote: "Add a timeline note"
        case .webhook(let id): "Webhook to \(id)"
        case .sendEmail(let id, let purpose): "Email template \(id)" + (purpose.map { " (\($0))" } ?? "")
        case .sendSurvey(let id): "Survey \(id)"
        }
    }
}
