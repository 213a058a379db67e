import Foundation

/// One message of the Segment tracking spec (identify, track, page, screen, group, alias), validated.
public struct TrackingMessage: Sendable, Equatable {
    public enum MessageType: String, Sendable, CaseIterable { case identify, track, page, screen, group, alias }

    /// Segment's limit for one message.
    public static let maxBytes = 32 * 1024
    /// Segment's limit for one batch request.
    public static let maxBatchBytes = 500 * 1024

    public var type: MessageType { didSet { timelineJSON = nil } }
    public var messageId: String
    public var userId: String?
    public var anonymousId: String?
    /// `track`: the event name; `page`/`screen`: the page name.
    public var name: String?
    public var properties: [String: JSONValue] { didSet { timelineJSON = nil } }
    /// User traits (`identify`, `context.traits`) or group traits (`group`).
    public var traits: [String: JSONValue] { didSet { timelineJSON = nil } }
    public var context: JSONValue { didSet { timelineJSON = nil } }
    public var groupId: String?
    public var previousId: String?
    /// When it happened, corrected for the client's clock skew.
    public var timestamp: Int64
    public var receivedAt: Int64
    /// The JSON text of its timeline entry's properties (`traits` for identify and group, else `properties`) and of
    /// `context`, encoded by `parse` (in the request handler, so that the single writer does not). Changing the type,
    /// properties, traits or context forgets it.
    public var timelineJSON: ActivityJSONText?

    /// Reads one message. `type` comes from the body, else from the endpoint (`/v1/track` → track).
    /// Timestamps follow Segment: `timestamp = receivedAt − (sentAt − originalTimestamp)` when the client sent
    /// `sentAt`, so a device whose clock is off by an hour still lands at the right time; a time outside
    /// `EventTime.plausible` falls back to the stated timestamp, then to `receivedAt`.
    public static func parse(_ json: JSONValue, endpointType: MessageType?, batchSentAt: Int64?, receivedAt: Int64,
                             makeId: () -> String) throws(RapportError) -> TrackingMessage {
        guard let fields = json.objectValue else { throw invalid("message", "Each message must be a JSON object.") }
        try validateShape(fields)
        let type: MessageType
        if let raw = fields["type"]?.stringValue {
            guard let parsed = MessageType(rawValue: raw) else {
                throw invalid("type", "type must be one of identify, track, page, screen, group, alias.")
            }
            type = parsed
        } else if let endpointType {
            type = endpointType
        } else {
            throw invalid("type", "A batch message needs a type.")
        }
        let userId = try idString(fields["userId"] ?? fields["user_id"], field: "userId")
        let anonymousId = try idString(fields["anonymousId"] ?? fields["anonymous_id"], field: "anonymousId")
        guard userId != nil || anonymousId != nil else {
            throw invalid("userId", "Every message needs a userId or an anonymousId.")
        }
        let context = fields["context"]?.nonNull ?? [:]
        guard context.objectValue != nil else { throw invalid("context", "context must be an object.") }
        var message = TrackingMessage(
            type: type, messageId: "", userId: userId, anonymousId: anonymousId, name: nil,
            properties: try object(fields["properties"], field: "properties"), traits: [:], context: context,
            groupId: nil, previousId: nil, timestamp: receivedAt, receivedAt: receivedAt)
        message.messageId = try idString(fields["messageId"], field: "messageId") ?? makeId()
        switch type {
        case .track:
            guard let event = fields["event"]?.stringValue?.trimmed, !event.isEmpty else {
                throw invalid("event", "A track call needs an event name.")
            }
            message.name = event
            message.traits = try object(context["traits"], field: "context.traits")
        case .page, .screen:
            message.name = fields["name"]?.stringValue
            message.traits = try object(context["traits"], field: "context.traits")
        case .identify:
            message.traits = try object(context["traits"], field: "context.traits")
                .merging(try object(fields["traits"], field: "traits")) { $1 }
        case .group:
            guard let groupId = try idString(fields["groupId"], field: "groupId") else {
                throw invalid("groupId", "A group call needs a groupId.")
            }
            message.groupId = groupId
            message.traits = try object(fields["traits"], field: "traits")
        case .alias:
            guard let previousId = try idString(fields["previousId"], field: "previousId"), userId != nil else {
                throw invalid("previousId", "An alias call needs previousId and userId.")
            }
            message.previousId = previousId
        }
        let stated = try time(fields["timestamp"], field: "timestamp")
        let fallback = try time(fields["originalTimestamp"], field: "originalTimestamp")
        let original = stated ?? fallback
        let sentAt = try time(fields["sentAt"], field: "sentAt") ?? batchSentAt
        message.timestamp = EventTime.corrected(timestamp: original, sentAt: sentAt, receivedAt: receivedAt)
        message.timelineJSON = ActivityJSONText(properties: .object(message.timelineProperties), context: message.context)
        return message
    }

    /// Checks the spec's fields whenever they are present, whatever the message type, so a malformed message is
    /// refused instead of half-read.
    static func validateShape(_ fields: [String: JSONValue]) throws(RapportError) {
        if let type = fields["type"], !type.isNull, type.stringValue.flatMap(MessageType.init(rawValue:)) == nil {
            throw invalid("type", "type must be one of identify, track, page, screen, group, alias.")
        }
        if let event = fields["event"], event.stringValue == nil { throw invalid("event", "event must be a string.") }
        if let name = fields["name"], !name.isNull, name.stringValue == nil { throw invalid("name", "name must be a string.") }
        if let key = fields["writeKey"], key.stringValue == nil { throw invalid("writeKey", "writeKey must be a string.") }
        if let integrations = fields["integrations"], integrations.objectValue == nil {
            throw invalid("integrations", "integrations must be an object.")
        }
        for key in ["groupId", "previousId", "messageId"] { _ = try idString(fields[key], field: key) }
        for key in ["traits", "properties", "context"] { _ = try object(fields[key], field: key) }
        for key in ["timestamp", "originalTimestamp", "sentAt"] { _ = try time(fields[key], field: key) }
    }

    /// What its timeline entry holds as properties, unless the writer records something else for it (an order, a
    /// group, an alias).
    public var timelineProperties: [String: JSONValue] { type == .identify || type == .group ? traits : properties }

    /// The identifiers this message names, each resolving to at most one person.
    public var identifiers: [Identifier] {
        var result: [Identifier] = []
        if let userId { result.append(Identifier(.userId, userId)) }
        if let anonymousId { result.append(Identifier(.anonymousId, anonymousId)) }
        if type != .group {
            if let email = traits["email"]?.stringValue, email.contains("@") { result.append(Identifier(.email, email)) }
            if let phone = traits["phone"]?.stringValue, phone.contains(where: \.isNumber) {
                result.append(Identifier(.phone, phone))
            }
        }
        for external in context["externalIds"]?.arrayValue ?? [] {
            if let id = external["id"]?.stringValue, let type = external["type"]?.stringValue, !id.isEmpty, !type.isEmpty {
                result.append(Identifier(.external, id, namespace: type))
            }
        }
        return result.filter { !$0.value.isEmpty }
    }

    static func invalid(_ field: String, _ message: String) -> RapportError {
        RapportError.invalid(field, message)
    }

    static func idString(_ value: JSONValue?, field: String) throws(RapportError) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?:
            let trimmed = text.trimmed
            guard trimmed.utf8.count <= 255 || trimmed.count <= 255 else { throw invalid(field, "\(field) must be at most 255 characters.") }
            return trimmed.isEmpty ? nil : trimmed
        case .number(let number)?:
            // An integer keeps its exact digits (`42`, not `42.0`); beyond ±2^53 the parser kept them as `.bigInteger`.
            return value?.integerText ?? String(number)
        case .bigInteger(let digits)?:
            guard digits.utf8.count <= 255 else { throw invalid(field, "\(field) must be at most 255 characters.") }
            return digits
        default: throw invalid(field, "\(field) must be a string.")
        }
    }

    static func object(_ value: JSONValue?, field: String) throws(RapportError) -> [String: JSONValue] {
        switch value {
        case nil, .null?: return [:]
        case .object(let fields)?: return fields
        default: throw invalid(field, "\(field) must be an object.")
        }
    }

    static func time(_ value: JSONValue?, field: String) throws(RapportError) -> Int64? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?:
            guard let millis = ISO8601.millis(text) else { throw invalid(field, "\(field) must be an ISO-8601 timestamp.") }
            return millis
        default: throw invalid(field, "\(field) must be an ISO-8601 timestamp.")
        }
    }
}
