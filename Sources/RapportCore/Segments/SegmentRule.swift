import Foundation

/// A segment's rule: a tree of `all` / `any` / `not` over conditions. The JSON form is documented in docs/segments.md.
public indirect enum SegmentRule: Sendable, Equatable {
    case all([SegmentRule])
    case any([SegmentRule])
    case not(SegmentRule)
    case condition(SegmentCondition)

    public static let maxDepth = 8
    public static let maxConditions = 50

    /// Parses and validates a rule; errors name the JSON path of the problem. `segment.<id>` conditions (membership of
    /// another segment) are allowed only where `allowSegments` says so: in automation rules' conditions, not in
    /// segments (whose refresh would then depend on the order segments are refreshed in).
    public static func parse(_ json: JSONValue, path: String = "rule", depth: Int = 0,
                             allowSegments: Bool = false) throws(RapportError) -> SegmentRule {
        guard depth <= maxDepth else { throw RapportError.invalid(path, "Rules nest at most \(maxDepth) levels deep.") }
        if depth == 0, let field = json.pathOfNUL(path) {
            // Compared in SQL: PostgreSQL cannot take U+0000 in a parameter (22021).
            throw RapportError.invalid(field, "\(field) must not contain the NUL character (U+0000).")
        }
        guard let fields = json.objectValue else { throw RapportError.invalid(path, "\(path) must be an object.") }
        if let list = fields["all"] ?? fields["any"] {
            guard fields.count == 1, let items = list.arrayValue, !items.isEmpty else {
                throw RapportError.invalid(path, "\(path).all / \(path).any must be the only key and a non-empty array.")
            }
            let key = fields["all"] != nil ? "all" : "any"
            var rules: [SegmentRule] = []
            for (index, item) in items.enumerated() {
                rules.append(try parse(item, path: "\(path).\(key)[\(index)]", depth: depth + 1, allowSegments: allowSegments))
            }
            let rule: SegmentRule = key == "all" ? .all(rules) : .any(rules)
            guard rule.conditionCount <= maxConditions else {
                throw RapportError.invalid(path, "A rule may have at most \(maxConditions) conditions.")
            }
            return rule
        }
        if let inner = fields["not"] {
            guard fields.count == 1 else { throw RapportError.invalid(path, "\(path).not must be the only key.") }
            return .not(try parse(inner, path: "\(path).not", depth: depth + 1, allowSegments: allowSegments))
        }
        return .condition(try SegmentCondition.parse(fields, path: path, allowSegments: allowSegments))
    }

    var conditionCount: Int {
        switch self {
        case .all(let rules), .any(let rules): rules.reduce(0) { $0 + $1.conditionCount }
        case .not(let rule): rule.conditionCount
        case .condition: 1
        }
    }

    /// Every condition of the tree.
    public var conditions: [SegmentCondition] {
        switch self {
        case .all(let rules), .any(let rules): rules.flatMap(\.conditions)
        case .not(let rule): rule.conditions
        case .condition(let condition): [condition]
        }
    }

    public var json: JSONValue {
        switch self {
        case .all(let rules): ["all": .array(rules.map(\.json))]
        case .any(let rules): ["any": .array(rules.map(\.json))]
        case .not(let rule): ["not": rule.json]
        case .condition(let condition): condition.json
        }
    }

    /// Whether the facts of one customer match.
    public func matches(_ facts: CustomerFacts, context: SegmentContext) -> Bool {
        switch self {
        case .all(let rules): rules.allSatisfy { $0.matches(facts, context: context) }
        case .any(let rules): rules.contains { $0.matches(facts, context: context) }
        case .not(let rule): !rule.matches(facts, context: context)
        case .condition(let condition): condition.matches(facts, context: context)
        }
    }
}

/// One test on a customer.
public struct SegmentCondition: Sendable, Equatable {
    public enum Subject: Sendable, Equatable {
        case trait(String)
        /// How many `track` events of that name, within the last `withinDays` days when set.
        case eventCount(String, withinDays: Int?)
        case orderCount, revenue, lastOrderAt, lastSeenAt, firstSeenAt
        /// RFM scores: recency, frequency, monetary (1–5 by quintile among purchasers, 0 without orders) and their sum.
        case rfmRecency, rfmFrequency, rfmMonetary, rfmScore
        /// Membership of the segment with this id (`exists`: a member; `not_exists`: not one), as of its last refresh.
        case segment(String)
    }

    public enum Operator: String, Sendable, CaseIterable {
        case eq, neq, lt, lte, gt, gte, contains, exists, notExists = "not_exists", `in`, before, after, withinDays = "within_days"
    }

    public var subject: Subject
    public var op: Operator
    public var value: JSONValue

    static let numericOps: Set<Operator> = [.eq, .neq, .lt, .lte, .gt, .gte]
    static let dateOps: Set<Operator> = [.before, .after, .withinDays, .exists, .notExists]

    static func parse(_ fields: [String: JSONValue], path: String, allowSegments: Bool = false) throws(RapportError) -> SegmentCondition {
        let allowed: Set<String> = ["field", "op", "value", "within_days"]
        if let unknown = fields.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw RapportError.invalid("\(path).\(unknown)", "Unknown key \(unknown); a condition has field, op, value and within_days.")
        }
        guard let field = fields["field"]?.stringValue, !field.isEmpty else {
            throw RapportError.invalid("\(path).field", "A condition needs a field, e.g. \"trait.plan\" or \"orders.count\".")
        }
        guard let rawOp = fields["op"]?.stringValue, let op = Operator(rawValue: rawOp) else {
            throw RapportError.invalid("\(path).op", "op must be one of \(Operator.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        let value = fields["value"] ?? .null
        var withinDays: Int?
        if let raw = fields["within_days"] {
            guard let days = raw.numberValue, days == days.rounded(), days >= 1, days <= 3650 else {
                throw RapportError.invalid("\(path).within_days", "within_days must be a whole number of days from 1 to 3650.")
            }
            withinDays = Int(days)
        }
        let subject: Subject
        if field.hasPrefix("trait.") {
            let name = String(field.dropFirst(6))
            guard !name.isEmpty else { throw RapportError.invalid("\(path).field", "trait. needs a trait name.") }
            subject = .trait(name)
        } else if field.hasPrefix("segment.") {
            let id = String(field.dropFirst(8))
            guard allowSegments else {
                throw RapportError.invalid("\(path).field", "segment.<id> conditions are for automation rules, not segments.")
            }
            guard IDGenerator.isUUID(id) else { throw RapportError.invalid("\(path).field", "segment. needs a segment id.") }
            subject = .segment(id.lowercased())
        } else if field.hasPrefix("event."), field.hasSuffix(".count"), field.count > 12 {
            subject = .eventCount(String(field.dropFirst(6).dropLast(6)), withinDays: withinDays)
        } else {
            switch field {
            case "orders.count": subject = .orderCount
            case "orders.revenue": subject = .revenue
            case "orders.last_order_at": subject = .lastOrderAt
            case "last_seen_at": subject = .lastSeenAt
            case "first_seen_at": subject = .firstSeenAt
            case "rfm.recency": subject = .rfmRecency
            case "rfm.frequency": subject = .rfmFrequency
            case "rfm.monetary": subject = .rfmMonetary
            case "rfm.score": subject = .rfmScore
            default:
                throw RapportError.invalid("\(path).field", "Unknown field \(field); a field is trait.<name>, event.<name>.count, "
                                           + "orders.count, orders.revenue, orders.last_order_at, last_seen_at, first_seen_at or rfm.*.")
            }
        }
        if case .eventCount = subject {} else if withinDays != nil {
            throw RapportError.invalid("\(path).within_days", "within_days applies to event.<name>.count only.")
        }
        let condition = SegmentCondition(subject: subject, op: op, value: value)
        try condition.validateValue(path: path)
        return condition
    }

    func validateValue(path: String) throws(RapportError) {
        switch subject {
        case .trait:
            switch op {
            case .exists, .notExists: return
            case .in:
                guard let list = value.arrayValue, !list.isEmpty else {
                    throw RapportError.invalid("\(path).value", "in needs a non-empty array value.")
                }
            case .before, .after:
                guard value.stringValue.flatMap(ISO8601.millis) != nil else {
                    throw RapportError.invalid("\(path).value", "\(op.rawValue) needs an ISO-8601 date value.")
                }
            case .lt, .lte, .gt, .gte:
                guard value.numberValue != nil else { throw RapportError.invalid("\(path).value", "\(op.rawValue) needs a number.") }
            case .contains:
                guard value.stringValue != nil else { throw RapportError.invalid("\(path).value", "contains needs a string.") }
            case .eq, .neq:
                guard !value.isNull else { throw RapportError.invalid("\(path).value", "\(op.rawValue) needs a value.") }
            case .withinDays:
                throw RapportError.invalid("\(path).op", "within_days applies to dates (last_seen_at, orders.last_order_at).")
            }
        case .segment:
            guard op == .exists || op == .notExists else {
                throw RapportError.invalid("\(path).op", "A segment takes exists (a member) or not_exists (not a member).")
            }
        case .eventCount, .orderCount, .revenue, .rfmRecency, .rfmFrequency, .rfmMonetary, .rfmScore:
            guard Self.numericOps.contains(op) else {
                throw RapportError.invalid("\(path).op", "This field takes eq, neq, lt, lte, gt or gte.")
            }
            guard value.numberValue != nil else { throw RapportError.invalid("\(path).value", "value must be a number.") }
        case .lastOrderAt, .lastSeenAt, .firstSeenAt:
            guard Self.dateOps.contains(op) else {
                throw RapportError.invalid("\(path).op", "This field takes before, after, within_days, exists or not_exists.")
            }
            switch op {
            case .before, .after:
                guard value.stringValue.flatMap(ISO8601.millis) != nil else {
                    throw RapportError.invalid("\(path).value", "\(op.rawValue) needs an ISO-8601 date value.")
                }
            case .withinDays:
                guard let days = value.numberValue, days >= 0, days <= 36_500 else {
                    throw RapportError.invalid("\(path).value", "within_days needs a number of days from 0 to 36500.")
                }
            default: return
            }
        }
    }

    public var fieldName: String {
        switch subject {
        case .trait(let name): "trait.\(name)"
        case .eventCount(let name, _): "event.\(name).count"
        case .orderCount: "orders.count"
        case .revenue: "orders.revenue"
        case .lastOrderAt: "orders.last_order_at"
        case .lastSeenAt: "last_seen_at"
        case .firstSeenAt: "first_seen_at"
        case .rfmRecency: "rfm.recency"
        case .rfmFrequency: "rfm.frequency"
        case .rfmMonetary: "rfm.monetary"
        case .rfmScore: "rfm.score"
        case .segment(let id): "segment.\(id)"
        }
    }

    public var json: JSONValue {
        var fields: [String: JSONValue] = ["field": .string(fieldName), "op": .string(op.rawValue)]
        if !value.isNull { fields["value"] = value }
        if case .eventCount(_, let days?) = subject { fields["within_days"] = JSONValue(days) }
        return .object(fields)
    }

    func matches(_ facts: CustomerFacts, context: SegmentContext) -> Bool {
        switch subject {
        case .trait(let name):
            return Self.compare(facts.traits[name], op: op, value: value)
        case .eventCount(let name, let days):
            return Self.number(Double(facts.eventCounts[EventWindow(name: name, withinDays: days)] ?? 0), op, value)
        case .segment(let id): return facts.segmentIds.contains(id) == (op == .exists)
        case .orderCount: return Self.number(Double(facts.orderCount), op, value)
        case .revenue: return Self.number(facts.revenue, op, value)
        case .lastOrderAt: return Self.date(facts.lastOrderAt, op, value, now: context.now)
        case .lastSeenAt: return Self.date(facts.lastSeenAt, op, value, now: context.now)
        case .firstSeenAt: return Self.date(facts.firstSeenAt, op, value, now: context.now)
        case .rfmRecency, .rfmFrequency, .rfmMonetary, .rfmScore:
            let scores = context.rfm.scores(facts)
            let score = switch subject {
            case .rfmRecency: scores.recency
            case .rfmFrequency: scores.frequency
            case .rfmMonetary: scores.monetary
            default: scores.total
            }
            return Self.number(Double(score), op, value)
        }
    }

    static func number(_ actual: Double, _ op: Operator, _ value: JSONValue) -> Bool {
        guard let expected = value.numberValue else { return false }
        switch op {
        case .eq: return actual == expected
        case .neq: return actual != expected
        case .lt: return actual < expected
        case .lte: return actual <= expected
        case .gt: return actual > expected
        case .gte: return actual >= expected
        default: return false
        }
    }

    static func date(_ actual: Int64?, _ op: Operator, _ value: JSONValue, now: Int64) -> Bool {
        switch op {
        case .exists: return actual != nil
        case .notExists: return actual == nil
        case .before: return actual.map { $0 < (value.stringValue.flatMap(ISO8601.millis) ?? Int64.min) } ?? false
        case .after: return actual.map { $0 > (value.stringValue.flatMap(ISO8601.millis) ?? Int64.max) } ?? false
        case .withinDays:
            guard let actual, let days = value.numberValue else { return false }
            return actual >= now - Int64(days * 86_400_000)
        default: return false
        }
    }

    static func compare(_ actual: JSONValue?, op: Operator, value: JSONValue) -> Bool {
        let present = actual.map { !$0.isNull } ?? false
        switch op {
        case .exists: return present
        case .notExists: return !present
        default: break
        }
        guard let actual, present else { return op == .neq }
        switch op {
        case .eq: return loosely(actual, equals: value)
        case .neq: return !loosely(actual, equals: value)
        case .in: return value.arrayValue?.contains { loosely(actual, equals: $0) } ?? false
        case .contains:
            guard let needle = value.stringValue?.lowercased() else { return false }
            if let list = actual.arrayValue { return list.contains { $0.stringValue?.lowercased() == needle } }
            return actual.stringValue?.lowercased().contains(needle) ?? false
        case .lt, .lte, .gt, .gte:
            guard let number = actual.numberValue else { return false }
            return Self.number(number, op, value)
        case .before, .after:
            guard let millis = actual.stringValue.flatMap(ISO8601.millis) else { return false }
            return date(millis, op, value, now: 0)
        default: return false
        }
    }

    /// Equality that treats `"42"` and `42`, and strings case-insensitively, as equal (CSV imports bring strings).
    static func loosely(_ a: JSONValue, equals b: JSONValue) -> Bool {
        if a == b { return true }
        if let x = a.numberValue, let y = b.numberValue { return x == y }
        if let x = a.stringValue, let y = b.stringValue { return x.lowercased() == y.lowercased() }
        if case .bool(let x) = a, let y = b.stringValue { return String(x) == y.lowercased() }
        if case .bool(let y) = b, let x = a.stringValue { return String(y) == x.lowercased() }
        return false
    }
}

/// An event count a rule needs: events named `name`, in the last `withinDays` days (all time when nil).
public struct EventWindow: Sendable, Hashable {
    public var name: String
    public var withinDays: Int?

    public init(name: String, withinDays: Int?) {
        self.name = name
        self.withinDays = withinDays
    }
}

extension SegmentRule {
    /// The event counts evaluation must load.
    public var eventWindows: Set<EventWindow> {
        Set(conditions.compactMap { condition in
            if case .eventCount(let name, let days) = condition.subject { return EventWindow(name: name, withinDays: days) }
            return nil
        })
    }

    /// The segments whose membership the rule tests.
    public var segmentIds: Set<String> {
        Set(conditions.compactMap { condition in
            if case .segment(let id) = condition.subject { return id }
            return nil
        })
    }

    public var usesRFM: Bool {
        conditions.contains { [.rfmRecency, .rfmFrequency, .rfmMonetary, .rfmScore].contains($0.subject) }
    }
}
