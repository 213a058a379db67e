/// What starts an automation rule: something that happened to one customer. The JSON form is documented in
/// docs/automation.md.
public enum RuleTrigger: Sendable, Equatable {
    /// A tracked event of this name whose properties pass every filter.
    case event(name: String, filters: [PropertyFilter])
    /// A segment refresh found the customer newly matching (or no longer matching) the segment.
    case segmentEntered(segmentId: String)
    case segmentExited(segmentId: String)
    /// Consent for `purpose` was recorded, with `status` when given (any status otherwise).
    case consentChanged(purpose: String, status: ConsentRecord.Status?)
    /// An order was recorded, with a total of at least `minTotal` (in the order's currency units) when given.
    case orderCompleted(minTotal: Double?)

    /// The kinds, as stored and named in JSON.
    public enum Kind: String, Sendable, CaseIterable, Codable {
        case event
        case segmentEntered = "segment_entered"
        case segmentExited = "segment_exited"
        case consentChanged = "consent_changed"
        case orderCompleted = "order_completed"
    }

    public var kind: Kind {
        switch self {
        case .event: .event
        case .segmentEntered: .segmentEntered
        case .segmentExited: .segmentExited
        case .consentChanged: .consentChanged
        case .orderCompleted: .orderCompleted
        }
    }

    /// What narrows the trigger before any rule is read (the event name, the segment, the consent purpose); stored in
    /// its own column so the hot path can tell whether anything listens with one small read.
    public var key: String? {
        switch self {
        case .event(let name, _): name
        case .segmentEntered(let id), .segmentExited(let id): id
        case .consentChanged(let purpose, _): purpose
        case .orderCompleted: nil
        }
    }

    public static let maxFilters = 20

    /// Parses and validates a trigger; errors name the JSON path (`trigger.…`).
    public static func parse(_ json: JSONValue, path: String = "trigger") throws(RapportError) -> RuleTrigger {
        guard let fields = json.objectValue else { throw RapportError.invalid(path, "\(path) must be an object.") }
        guard let rawType = fields["type"]?.stringValue, let kind = Kind(rawValue: rawType) else {
            throw RapportError.invalid("\(path).type",
                                       "\(path).type must be one of \(Kind.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        func only(_ keys: Set<String>) throws(RapportError) {
            if let unknown = fields.keys.sorted().first(where: { !keys.contains($0) && $0 != "type" }) {
                throw RapportError.invalid("\(path).\(unknown)", "Unknown key \(unknown) for a \(kind.rawValue) trigger.")
            }
        }
        switch kind {
        case .event:
            try only(["event", "filters"])
            guard let name = fields["event"]?.stringValue?.trimmed, !name.isEmpty, name.unicodeScalars.count <= 200 else {
                throw RapportError.invalid("\(path).event", "\(path).event must be an event name of 1–200 characters.")
            }
            var filters: [PropertyFilter] = []
            if let raw = fields["filters"], !raw.isNull {
                guard let items = raw.arrayValue, items.count <= maxFilters else {
                    throw RapportError.invalid("\(path).filters", "\(path).filters must be an array of at most \(maxFilters) filters.")
                }
                for (index, item) in items.enumerated() {
                    filters.append(try PropertyFilter.parse(item, path: "\(path).filters[\(index)]"))
                }
            }
            return .event(name: name, filters: filters)
        case .segmentEntered, .segmentExited:
            try only(["segment_id"])
            guard let id = fields["segment_id"]?.stringValue, IDGenerator.isUUID(id) else {
                throw RapportError.invalid("\(path).segment_id", "\(path).segment_id must be a segment id.")
            }
            return kind == .segmentEntered ? .segmentEntered(segmentId: id.lowercased()) : .segmentExited(segmentId: id.lowercased())
        case .consentChanged:
            try only(["purpose", "status"])
            guard let raw = fields["purpose"]?.stringValue else {
                throw RapportError.invalid("\(path).purpose", "\(path).purpose is required, e.g. \"marketing_email\".")
            }
            let purpose = try ContactPolicy.validName(raw, field: "\(path).purpose")
            var status: ConsentRecord.Status?
            if let rawStatus = fields["status"], !rawStatus.isNull {
                guard let value = rawStatus.stringValue.flatMap(ConsentRecord.Status.init(rawValue:)) else {
                    throw RapportError.invalid("\(path).status", "\(path).status must be granted or withdrawn.")
                }
                status = value
            }
            return .consentChanged(purpose: purpose, status: status)
        case .orderCompleted:
            try only(["min_total"])
            var minTotal: Double?
            if let raw = fields["min_total"], !raw.isNull {
                guard let value = raw.numberValue, value >= 0, value <= 1_000_000_000 else {
                    throw RapportError.invalid("\(path).min_total", "\(path).min_total must be a number from 0 to 1000000000.")
                }
                minTotal = value
            }
            return .orderCompleted(minTotal: minTotal)
        }
    }

    public var json: JSONValue {
        switch self {
        case .event(let name, let filters):
            ["type": "event", "event": .string(name), "filters": .array(filters.map(\.json))]
        case .segmentEntered(let id): ["type": "segment_entered", "segment_id": .string(id)]
        case .segmentExited(let id): ["type": "segment_exited", "segment_id": .string(id)]
        case .consentChanged(let purpose, let status):
            ["type": "consent_changed", "purpose": .string(purpose), "status": JSONValue(status?.rawValue)]
        case .orderCompleted(let minTotal):
            ["type": "order_completed", "min_total": minTotal.map(JSONValue.number) ?? .null]
        }
    }

    /// A one-line description for lists.
    public var summary: String {
        switch self {
        case .event(let name, let filters): filters.isEmpty ? "Event \(name)" : "Event \(name) (\(filters.count) filters)"
        case .segmentEntered(let id): "Enters segment \(id)"
        case .segmentExited(let id): "Leaves segment \(id)"
        case .consentChanged(let purpose, let status): "Consent \(purpose) \(status?.rawValue ?? "changed")"
        case .orderCompleted(let minTotal): minTotal.map { "Order of at least \($0)" } ?? "Order completed"
        }
    }

    /// Whether `occurrence` is one this trigger waits for.
    public func matches(_ occurrence: TriggerOccurrence) -> Bool {
        guard occurrence.kind == kind else { return false }
        switch self {
        case .event(let name, let filters):
            return occurrence.key == name && filters.allSatisfy { $0.matches(occurrence.properties) }
        case .segmentEntered(let id), .segmentExited(let id):
            return occurrence.key == id
        case .consentChanged(let purpose, let status):
            return occurrence.key == purpose && (status == nil || occurrence.properties["status"]?.stringValue == status?.rawValue)
        case .orderCompleted(let minTotal):
            guard let minTotal else { return true }
            return (occurrence.properties["total"]?.numberValue ?? 0) >= minTotal
        }
    }
}

/// A test on a tracked event's properties: `{"property": "plan", "op": "eq", "value": "pro"}`. A dotted property
/// name reaches into nested objects (`cart.total`). The operators and their loose comparison are the segment rules'.
public struct PropertyFilter: Sendable, Equatable {
    public var property: String
    public var op: SegmentCondition.Operator
    public var value: JSONValue

    static let operators: [SegmentCondition.Operator] = [.eq, .neq, .exists, .notExists, .lt, .lte, .gt, .gte, .contains, .in]

    public init(property: String, op: SegmentCondition.Operator, value: JSONValue) {
        self.property = property
        self.op = op
        self.value = value
    }

    static func parse(_ json: JSONValue, path: String) throws(RapportError) -> PropertyFilter {
        guard let fields = json.objectValue else { throw RapportError.invalid(path, "\(path) must be an object.") }
        if let unknown = fields.keys.sorted().first(where: { !["property", "op", "value"].contains($0) }) {
            throw RapportError.invalid("\(path).\(unknown)", "Unknown key \(unknown); a filter has property, op and value.")
        }
        guard let property = fields["property"]?.stringValue?.trimmed, !property.isEmpty, property.unicodeScalars.count <= 200 else {
            throw RapportError.invalid("\(path).property", "\(path).property must be a property name of 1–200 characters.")
        }
        guard let rawOp = fields["op"]?.stringValue, let op = SegmentCondition.Operator(rawValue: rawOp), operators.contains(op) else {
            throw RapportError.invalid("\(path).op", "\(path).op must be one of \(operators.map(\.rawValue).joined(separator: ", ")).")
        }
        let value = fields["value"] ?? .null
        switch op {
        case .exists, .notExists: break
        case .lt, .lte, .gt, .gte:
            guard value.numberValue != nil else { throw RapportError.invalid("\(path).value", "\(op.rawValue) needs a number.") }
        case .contains:
            guard value.stringValue != nil else { throw RapportError.invalid("\(path).value", "contains needs a string.") }
        case .in:
            guard let list = value.arrayValue, !list.isEmpty else {
                throw RapportError.invalid("\(path).value", "in needs a non-empty array.")
            }
        default:
            guard !value.isNull else { throw RapportError.invalid("\(path).value", "\(op.rawValue) needs a value.") }
        }
        return PropertyFilter(property: property, op: op, value: value)
    }

    var json: JSONValue {
        var fields: [String: JSONValue] = ["property": .string(property), "op": .string(op.rawValue)]
        if !value.isNull { fields["value"] = value }
        return .object(fields)
    }

    func matches(_ properties: [String: JSONValue]) -> Bool {
        var current: JSONValue? = .object(properties)
        for part in property.split(separator: ".", omittingEmptySubsequences: false) {
            current = current?.objectValue?[String(part)]
        }
        return SegmentCondition.compare(current, op: op, value: value)
    }
}

/// Something that happened to a customer and may start rules: queued by the writers in their transaction and
/// evaluated by the `automation.evaluate` job.
public struct TriggerOccurrence: Sendable, Equatable {
    public var kind: RuleTrigger.Kind
    public var customerId: String
    /// The event name, segment id or consent purpose (see `RuleTrigger.key`).
    public var key: String?
    /// The event's properties; `status` of a consent change; `total` (currency units) and `order_id` of an order.
    public var properties: [String: JSONValue]
    public var occurredAt: Int64

    public init(kind: RuleTrigger.Kind, customerId: String, key: String?, properties: [String: JSONValue] = [:], occurredAt: Int64) {
        self.kind = kind
        self.customerId = customerId
        self.key = key
        self.properties = properties
        self.occurredAt = occurredAt
    }

    public var json: JSONValue {
        ["kind": .string(kind.rawValue), "customer_id": .string(customerId), "key": JSONValue(key),
         "properties": .object(properties), "occurred_at": .string(Timestamp.iso8601(occurredAt))]
    }

    static func parse(_ json: JSONValue) -> TriggerOccurrence? {
        guard let fields = json.objectValue, let kind = fields["kind"]?.stringValue.flatMap(RuleTrigger.Kind.init(rawValue:)),
              let customerId = fields["customer_id"]?.stringValue,
              let occurredAt = fields["occurred_at"]?.stringValue.flatMap(ISO8601.millis) else { return nil }
        return TriggerOccurrence(kind: kind, customerId: customerId, key: fields["key"]?.stringValue,
                                 properties: fields["properties"]?.objectValue ?? [:], occurredAt: occurredAt)
    }
}

/// A (kind, key) some enabled rule of a workspace listens for; a nil key listens to every occurrence of the kind.
public struct TriggerKey: Sendable, Hashable {
    public var kind: RuleTrigger.Kind
    public var key: String?

    public init(kind: RuleTrigger.Kind, key: String?) {
        self.kind = kind
        self.key = key
    }
}
