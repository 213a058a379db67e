import Foundation
import RapportCore

/// What a timeline entry says happened, as a short list of "key: value" pairs: an event's properties, a consent's
/// status and channel, an order's total and item count, a survey response's score. Long values are cut, nested values
/// summarised ("3 fields", "2 items"), and at most `limit` pairs are listed.
public struct TimelineDetail: Sendable, Equatable {
    public let key: String
    public let value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }

    /// The longest value shown whole; a longer one ends in "…".
    public static let maxValueLength = 80
    /// The most pairs one entry lists; the rest are counted in a last "more" pair.
    public static let limit = 8

    /// The pairs for an entry of `kind` with `properties`.
    public static func of(_ kind: ActivityKind, properties: JSONValue) -> [TimelineDetail] {
        let fields = properties.objectValue ?? [:]
        switch kind {
        case .consent:
            return pick(fields, ["status", "channel", "source"])
        case .order, .orderRefunded:
            let currency = fields["currency"]?.stringValue
            var pairs: [TimelineDetail] = []
            if let total = fields["total"], let minor = Money.minorUnits(total, currency: currency, acceptStrings: true) {
                pairs.append(TimelineDetail(key: "total", value: Money.format(minorUnits: minor, currency: currency)
                    + (currency.map { " \($0)" } ?? "")))
            }
            let lines = fields["products"]?.arrayValue ?? []
            let items = lines.reduce(0) { $0 + (Int(exactly: ($1["quantity"]?.numberValue ?? 1).rounded()) ?? 0) }
            pairs.append(TimelineDetail(key: "items", value: "\(items)"))
            if let status = fields["status"]?.stringValue, status != "completed" {
                pairs.append(TimelineDetail(key: "status", value: status))
            }
            return pairs
        case .surveyResponse:
            var pairs: [TimelineDetail] = []
            if let score = fields["score"], score != .null {
                let band = fields["band"]?.stringValue.map { " (\($0))" } ?? ""
                pairs.append(TimelineDetail(key: "score", value: text(score) + band))
            }
            if let channel = fields["channel"]?.stringValue { pairs.append(TimelineDetail(key: "channel", value: channel)) }
            let answers = fields["answers"]?.objectValue ?? [:]
            for key in answers.keys.sorted() where key != "score" {
                if let answer = answers[key], answer != .null { pairs.append(TimelineDetail(key: key, value: text(answer))) }
            }
            return capped(pairs)
        default:
            return capped(fields.keys.sorted().compactMap { key in
                guard let value = fields[key], value != .null else { return nil }
                return TimelineDetail(key: key, value: text(value))
            })
        }
    }

    /// A value in a few words: text cut to `maxValueLength`, numbers as written, nested values counted.
    static func text(_ value: JSONValue) -> String {
        switch value {
        case .null: return "none"
        case .bool(let flag): return flag ? "yes" : "no"
        case .number, .bigInteger: return value.jsonText
        case .string(let string): return cut(string)
        case .array(let items):
            if items.allSatisfy({ $0.objectValue == nil && $0.arrayValue == nil }) {
                return cut(items.map(text).joined(separator: ", "))
            }
            return Plural.count(items.count, "item")
        case .object(let fields): return Plural.count(fields.count, "field")
        }
    }

    private static func cut(_ string: String) -> String {
        let flat = string.replacingOccurrences(of: "\n", with: " ")
        return flat.count <= maxValueLength ? flat : String(flat.prefix(maxValueLength - 1)) + "…"
    }

    private static func pick(_ fields: [String: JSONValue], _ keys: [String]) -> [TimelineDetail] {
        keys.compactMap { key in fields[key].flatMap { $0 == .null ? nil : TimelineDetail(key: key, value: text($0)) } }
    }

    private static func capped(_ pairs: [TimelineDetail]) -> [TimelineDetail] {
        guard pairs.count > limit else { return pairs }
        return Array(pairs.prefix(limit - 1)) + [TimelineDetail(key: "and", value: Plural.count(pairs.count - limit + 1, "more field"))]
    }
}
