import Foundation

/// A JSON value. Responses are built from these so that absent values are sent as `null`, as the
/// OpenAPI document requires, and request bodies are read through them so errors can name the field.
public enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    /// An integer beyond ±2^53, which a Double would round, kept as its decimal digits (with a leading `-` when
    /// negative) so that two ids never become one. Written back as the same digits.
    case bigInteger(String)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(_ value: String?) { self = value.map(JSONValue.string) ?? .null }
    public init(_ value: Int?) { self = value.map { .number(Double($0)) } ?? .null }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let bool = try? container.decode(Bool.self) { self = .bool(bool) }
        else if let number = try? container.decode(Double.self) { self = .number(number) }
        else if let string = try? container.decode(String.self) { self = .string(string) }
        else if let array = try? container.decode([JSONValue].self) { self = .array(array) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            if value.rounded() == value, abs(value) < 9e15 { try container.encode(Int64(value)) } else { try container.encode(value) }
        case .bigInteger(let digits):
            // Foundation writes a Decimal's digits exactly (up to 38 of them); beyond that it rounds as a Double would.
            if let decimal = Decimal(string: digits), decimal.description == digits { try container.encode(decimal) }
            else { try container.encode(Double(digits) ?? 0) }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// Compact JSON with sorted keys, as bytes.
    public func encoded() -> Data { Data(JSONCodec.serialize(self).utf8) }

    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number, .bigInteger: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

extension JSONValue: ExpressibleByDictionaryLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral, ExpressibleByNilLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { $1 }))
    }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(nilLiteral: ()) { self = .null }
}

extension JSONValue {
    /// The object's fields, or nil.
    public var objectValue: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var numberValue: Double? {
        switch self {
        case .number(let value): return value
        case .bigInteger(let digits): return Double(digits)
        case .string(let value): return Double(value)
        default: return nil
        }
    }

    /// 2^53: every integer up to it in magnitude is exact in a Double.
    public static let maxExactInteger: Double = 9_007_199_254_740_992

    /// The exact decimal text of an integer number (`42`, `-7`, `9007199254740993`), else nil. Ids sent as
    /// numbers are stored as this text.
    public var integerText: String? {
        switch self {
        case .number(let value) where value == value.rounded() && value.magnitude <= Self.maxExactInteger:
            return String(Int64(value))
        case .bigInteger(let digits): return digits
        default: return nil
        }
    }

    /// The path of the first string or object key holding U+0000 (`properties.name`, `products[2].sku`), or nil.
    /// PostgreSQL's text types cannot store U+0000 (SQLSTATE 22021), so input is refused where it arrives.
    public func pathOfNUL(_ path: String) -> String? {
        switch self {
        case .string(let text): return text.utf8.contains(0) ? path : nil
        case .array(let items):
            for (index, item) in items.enumerated() {
                if let found = item.pathOfNUL("\(path)[\(index)]") { return found }
            }
            return nil
        case .object(let fields):
            for key in fields.keys.sorted() {
                let child = path.isEmpty ? key : "\(path).\(key)"
                if key.utf8.contains(0) { return child }
                if let found = fields[key]!.pathOfNUL(child) { return found }
            }
            return nil
        default: return nil
        }
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    public var isNull: Bool { self == .null }

    /// The value, or nil when it is JSON `null`. (Write `value?.nonNull`, not `flatMap { $0.isNull ? nil : $0 }`:
    /// `JSONValue` is `ExpressibleByNilLiteral`, so that `nil` becomes `.null` again.)
    public var nonNull: JSONValue? {
        if case .null = self { return Optional.none }
        return self
    }

    public subscript(key: String) -> JSONValue? { objectValue?[key] }

    /// Parses JSON text; nil when it is not JSON.
    public static func parse(_ text: String) -> JSONValue? {
        try? JSONCodec.parse(text.utf8)
    }

    /// Parses JSON bytes; nil when they are not JSON.
    public static func parse(bytes: [UInt8]) -> JSONValue? {
        try? JSONCodec.parse(bytes)
    }

    /// Compact JSON text with sorted keys.
    public var jsonText: String { JSONCodec.serialize(self) }

    /// The byte length of `jsonText`.
    public var encodedSize: Int { JSONCodec.encodedSize(self) }
}
