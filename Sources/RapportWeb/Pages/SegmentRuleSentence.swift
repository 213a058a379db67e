import Foundation
import RapportCore

/// A segment rule as a sentence for people, e.g. "Plan is pro and placed at least 2 orders": what the Segments pages
/// show instead of the rule's JSON. Groups inside groups are put in parentheses; `not` reads "not (…)".
public struct SegmentRuleSentence: Sendable {
    /// Names of segments by id, for `segment.<id>` conditions (automation rules' conditions).
    public var segmentNames: [String: String]
    /// The zone a date with a time of day is shown in (a bare date is shown as it is written).
    public var timeZone: TimeZone

    public init(segmentNames: [String: String] = [:], timeZone: TimeZone = DisplayDate.utc) {
        self.segmentNames = segmentNames
        self.timeZone = timeZone
    }

    /// The whole rule as one sentence.
    public func describe(_ rule: SegmentRule) -> String {
        let text = phrase(rule, nested: false)
        return text.prefix(1).uppercased() + text.dropFirst()
    }

    private func phrase(_ rule: SegmentRule, nested: Bool) -> String {
        switch rule {
        case .all(let rules), .any(let rules):
            if rules.count == 1 { return phrase(rules[0], nested: nested) }
            let joiner: String
            if case .all = rule { joiner = " and " } else { joiner = " or " }
            let text = rules.map { phrase($0, nested: true) }.joined(separator: joiner)
            return nested ? "(\(text))" : text
        case .not(let inner):
            return "not (\(phrase(inner, nested: false)))"
        case .condition(let condition):
            return describe(condition)
        }
    }

    /// One condition, e.g. "Plan is pro", "did Logged In at least 3 times in the last 30 days".
    public func describe(_ condition: SegmentCondition) -> String {
        let value = condition.value
        switch condition.subject {
        case .trait(let name):
            let trait = Self.traitLabel(name)
            switch condition.op {
            case .eq: return "\(trait) is \(text(value))"
            case .neq: return "\(trait) is not \(text(value))"
            case .lt: return "\(trait) is less than \(text(value))"
            case .lte: return "\(trait) is at most \(text(value))"
            case .gt: return "\(trait) is more than \(text(value))"
            case .gte: return "\(trait) is at least \(text(value))"
            case .contains: return "\(trait) contains \(text(value))"
            case .exists: return "\(trait) is set"
            case .notExists: return "\(trait) is not set"
            case .in: return "\(trait) is one of \((value.arrayValue ?? []).map(text).joined(separator: ", "))"
            case .before: return "\(trait) is before \(date(value))"
            case .after: return "\(trait) is after \(date(value))"
            case .withinDays: return "\(trait) is within \(text(value)) days"
            }
        case .eventCount(let name, let days):
            let window = days.map { " in the last \(Self.count($0, "day"))" } ?? ""
            return "did \(name) \(Self.comparison(condition.op)) \(Self.count(value, "time"))\(window)"
        case .orderCount:
            return "placed \(Self.comparison(condition.op)) \(Self.count(value, "order"))"
        case .revenue:
            return "spent \(Self.comparison(condition.op)) \(text(value)) in total"
        case .lastOrderAt:
            return dated(condition, verb: "ordered", last: "last ordered", exists: "has ordered", never: "has never ordered")
        case .lastSeenAt:
            return dated(condition, verb: "was seen", last: "was last seen", exists: "has been seen", never: "has never been seen")
        case .firstSeenAt:
            return dated(condition, verb: "was first seen", last: "was first seen", exists: "has a first visit",
                         never: "has no first visit")
        case .rfmRecency: return "RFM recency score is \(Self.comparison(condition.op)) \(text(value))"
        case .rfmFrequency: return "RFM frequency score is \(Self.comparison(condition.op)) \(text(value))"
        case .rfmMonetary: return "RFM monetary score is \(Self.comparison(condition.op)) \(text(value))"
        case .rfmScore: return "RFM score is \(Self.comparison(condition.op)) \(text(value))"
        case .segment(let id):
            let name = segmentNames[id].map { "segment \($0)" } ?? "a deleted segment"
            return condition.op == .exists ? "is in \(name)" : "is not in \(name)"
        }
    }

    private func dated(_ condition: SegmentCondition, verb: String, last: String, exists: String, never: String) -> String {
        switch condition.op {
        case .withinDays: "\(verb) in the last \(Self.count(condition.value, "day"))"
        case .before: "\(last) before \(date(condition.value))"
        case .after: "\(last) after \(date(condition.value))"
        case .exists: exists
        case .notExists: never
        default: "\(last) \(condition.op.rawValue) \(text(condition.value))"
        }
    }

    /// A trait's name as a label: "plan" → "Plan", "first_name" → "First name", "firstName" → "First name".
    public static func traitLabel(_ name: String) -> String {
        var words = ""
        var previous: Character?
        for character in name {
            if character == "_" || character == "-" || character == "." {
                words.append(" ")
            } else if character.isUppercase, let previous, previous.isLowercase {
                words.append(" ")
                words.append(contentsOf: character.lowercased())
            } else {
                words.append(character)
            }
            previous = character
        }
        let trimmed = words.split(separator: " ").joined(separator: " ")
        guard !trimmed.isEmpty else { return name }
        return trimmed.prefix(1).uppercased() + trimmed.dropFirst()
    }

    /// The words of a numeric comparison before its number: "at least", "fewer than"…
    static func comparison(_ op: SegmentCondition.Operator) -> String {
        switch op {
        case .eq: "exactly"
        case .neq: "other than"
        case .lt: "fewer than"
        case .lte: "at most"
        case .gt: "more than"
        case .gte: "at least"
        default: op.rawValue
        }
    }

    /// "1 order", "2 orders", "1.5 days".
    static func count(_ value: JSONValue, _ noun: String) -> String {
        guard let number = value.numberValue else { return "\(value.jsonText) \(noun)s" }
        return count(number, noun)
    }

    static func count(_ number: some BinaryInteger, _ noun: String) -> String { count(Double(number), noun) }

    static func count(_ number: Double, _ noun: String) -> String {
        "\(numberText(number)) \(noun)\(number == 1 ? "" : "s")"
    }

    static func numberText(_ number: Double) -> String {
        if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
        return String(number)
    }

    /// A value as text: strings bare, numbers without a needless ".0", other JSON as JSON.
    func text(_ value: JSONValue) -> String {
        if let string = value.stringValue { return string }
        if let number = value.numberValue { return Self.numberText(number) }
        return value.jsonText
    }

    /// An ISO-8601 value for people: "5 Jan 2026" for a bare date, the date and time in the workspace's zone otherwise.
    func date(_ value: JSONValue) -> String {
        guard let raw = value.stringValue, let millis = ISO8601.millis(raw) else { return text(value) }
        let shown = DisplayDate(millis: millis, timeZone: raw.count == 10 ? DisplayDate.utc : timeZone).text
        return raw.count == 10 ? String(shown.prefix { $0 != "," }) : shown
    }
}
