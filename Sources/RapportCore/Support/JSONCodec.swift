import Foundation

/// A fast JSON reader and writer for `JSONValue`, used on the ingest hot path (Foundation's coders box every value).
/// Output is compact with sorted object keys, byte-for-byte what `JSONEncoder` with `.sortedKeys` writes.
public enum JSONCodec {
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public enum Reason: Sendable, Equatable {
            /// Not JSON (RFC 8259) at this offset.
            case syntax
            /// A string holds bytes that are not UTF-8 (RFC 8259 §8.1 requires it; replacing them would make
            /// different ids equal).
            case invalidUTF8
            /// A number a 64-bit float cannot hold (beyond ±1.8e308): it cannot be stored or compared.
            case numberOutOfRange
        }
        public let offset: Int
        public var reason: Reason = .syntax

        public var description: String {
            switch reason {
            case .syntax: "not JSON at byte \(offset)"
            case .invalidUTF8: "a string at byte \(offset) is not valid UTF-8"
            case .numberOutOfRange: "the number at byte \(offset) is too large to represent"
            }
        }
    }

    /// Parses one JSON document (RFC 8259). Strings must be valid UTF-8; numbers must be finite as a Double,
    /// and integers beyond ±2^53 (which a Double would round) are kept as their digits (`JSONValue.bigInteger`).
    public static func parse(_ bytes: some Collection<UInt8>) throws -> JSONValue {
        var containsNUL = false
        return try parse(bytes, containsNUL: &containsNUL)
    }

    /// Parses like `parse(_:)` and tells whether a string or key holds U+0000 (only a `\u0000` escape can put one
    /// there), so callers that must refuse it search the value only then.
    public static func parse(_ bytes: some Collection<UInt8>, containsNUL: inout Bool) throws -> JSONValue {
        var reader = Reader(bytes: Array(bytes))
        reader.skipWhitespace()
        let value = try reader.value(depth: 0)
        reader.skipWhitespace()
        guard reader.index == reader.bytes.count else { throw ParseError(offset: reader.index) }
        containsNUL = reader.sawNUL
        return value
    }

    struct Reader {
        let bytes: [UInt8]
        var index = 0
        var sawNUL = false

        mutating func skipWhitespace() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 {
                index += 1
            }
        }

        mutating func value(depth: Int) throws -> JSONValue {
            guard depth < 512, index < bytes.count else { throw ParseError(offset: index) }
            switch bytes[index] {
            case UInt8(ascii: "{"):
                index += 1
                var object: [String: JSONValue] = [:]
                skipWhitespace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(object) }
                while true {
                    skipWhitespace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw ParseError(offset: index) }
                    let key = try string()
                    skipWhitespace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw ParseError(offset: index) }
                    index += 1
                    skipWhitespace()
                    object[key] = try value(depth: depth + 1)
                    skipWhitespace()
                    guard index < bytes.count else { throw ParseError(offset: index) }
                    if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(object) }
                    throw ParseError(offset: index)
                }
            case UInt8(ascii: "["):
                index += 1
                var array: [JSONValue] = []
                skipWhitespace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(array) }
                while true {
                    skipWhitespace()
                    array.append(try value(depth: depth + 1))
                    skipWhitespace()
                    guard index < bytes.count else { throw ParseError(offset: index) }
                    if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(array) }
                    throw ParseError(offset: index)
                }
            case UInt8(ascii: "\""):
                return .string(try string())
            case UInt8(ascii: "t"): return try literal("true", .bool(true))
            case UInt8(ascii: "f"): return try literal("false", .bool(false))
            case UInt8(ascii: "n"): return try literal("null", .null)
            default:
                return try number()
            }
        }

        mutating func literal(_ word: String, _ value: JSONValue) throws -> JSONValue {
            let utf8 = Array(word.utf8)
            guard index + utf8.count <= bytes.count, Array(bytes[index..<index + utf8.count]) == utf8 else {
                throw ParseError(offset: index)
            }
            index += utf8.count
            return value
        }

        mutating func number() throws -> JSONValue {
            let start = index
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
            let digitsStart = index
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
            guard index > digitsStart else { throw ParseError(offset: start) }
            if bytes[digitsStart] == 0x30, index - digitsStart > 1 { throw ParseError(offset: start) }
            var isInteger = true
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                isInteger = false
                index += 1
                let fraction = index
                while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
                guard index > fraction else { throw ParseError(offset: start) }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                isInteger = false
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                let exponent = index
                while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
                guard index > exponent else { throw ParseError(offset: start) }
            }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            guard let value = Double(text) else { throw ParseError(offset: start) }
            guard value.isFinite else { throw ParseError(offset: start, reason: .numberOutOfRange) }
            // Up to 15 digits every integer is exact in a Double; a longer one is kept as digits beyond ±2^53.
            if isInteger, index - digitsStart > 15, !(Int64(text).map { $0.magnitude <= 1 << 53 } ?? false) {
                return .bigInteger(text)
            }
            return .number(value)
        }

        mutating func string() throws -> String {
            index += 1  // opening quote
            let start = index
            // Fast path: no escapes. `seen` collects every byte's bits: below 0x80 the text is ASCII, always valid, and
            // decoded as before; otherwise it is validated (`String(validating:)` refuses where decoding repaired, at
            // about twice decoding's cost, so only non-ASCII strings pay it).
            var seen: UInt8 = 0
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    let text: String
                    if seen < 0x80 {
                        text = String(decoding: bytes[start..<index], as: UTF8.self)
                    } else {
                        guard let valid = String(validating: bytes[start..<index], as: UTF8.self) else {
                            throw ParseError(offset: start, reason: .invalidUTF8)
                        }
                        text = valid
                    }
                    index += 1
                    return text
                }
                if byte == UInt8(ascii: "\\") || byte < 0x20 { break }
                seen |= byte
                index += 1
            }
            var buffer = Array(bytes[start..<index])
            while index < bytes.count {
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    guard let text = String(validating: buffer, as: UTF8.self) else {
                        throw ParseError(offset: start, reason: .invalidUTF8)
                    }
                    return text
                case UInt8(ascii: "\\"):
                    index += 1
                    guard index < bytes.count else { throw ParseError(offset: index) }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""): buffer.append(0x22)
                    case UInt8(ascii: "\\"): buffer.append(0x5C)
                    case UInt8(ascii: "/"): buffer.append(0x2F)
                    case UInt8(ascii: "b"): buffer.append(0x08)
                    case UInt8(ascii: "f"): buffer.append(0x0C)
                    case UInt8(ascii: "n"): buffer.append(0x0A)
                    case UInt8(ascii: "r"): buffer.append(0x0D)
                    case UInt8(ascii: "t"): buffer.append(0x09)
                    case UInt8(ascii: "u"):
                        var scalar = try hex4()
                        if (0xD800..<0xDC00).contains(scalar) {
                            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                                throw ParseError(offset: index)
                            }
                            index += 2
                            let low = try hex4()
                            guard (0xDC00..<0xE000).contains(low) else { throw ParseError(offset: index) }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let unicode = Unicode.Scalar(scalar) else { throw ParseError(offset: index) }
                        if scalar == 0 { sawNUL = true }
                        buffer.append(contentsOf: Array(String(Character(unicode)).utf8))
                    default: throw ParseError(offset: index)
                    }
                default:
                    guard byte >= 0x20 else { throw ParseError(offset: index) }
                    buffer.append(byte)
                    index += 1
                }
            }
            throw ParseError(offset: index)
        }

        mutating func hex4() throws -> UInt32 {
            guard index + 4 <= bytes.count else { throw ParseError(offset: index) }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[index]
                let digit: UInt32
                switch c {
                case 0x30...0x39: digit = UInt32(c - 0x30)
                case 0x41...0x46: digit = UInt32(c - 0x41 + 10)
                case 0x61...0x66: digit = UInt32(c - 0x61 + 10)
                default: throw ParseError(offset: index)
                }
                value = value * 16 + digit
                index += 1
            }
            return value
        }
    }

    /// Compact JSON with sorted keys.
    public static func serialize(_ value: JSONValue) -> String {
        // Bytes into one buffer (a String grown by `+=` reallocated several times for a 1 KB event, and sorting keys
        // then looking each up again hashed every key twice).
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(value, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func write(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null: append("null", to: &out)
        case .bool(let flag): append(flag ? "true" : "false", to: &out)
        case .number(let number): append(format(number), to: &out)
        case .bigInteger(let digits): append(digits, to: &out)
        case .string(let text): writeString(text, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let fields):
            out.append(UInt8(ascii: "{"))
            for (i, field) in fields.sorted(by: { $0.key < $1.key }).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeString(field.key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(field.value, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func append(_ text: String, to out: inout [UInt8]) {
        var text = text
        text.withUTF8 { out.append(contentsOf: $0) }
    }

    static func format(_ number: Double) -> String {
        guard number.isFinite else { return "null" }
        if number == number.rounded(), abs(number) < 9e15 { return String(Int64(number)) }
        return "\(number)"
    }

    /// `text` as a JSON string: quotes, backslashes and control characters escaped, everything else as its UTF-8.
    static func writeString(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            guard bytes.contains(where: { $0 == 0x22 || $0 == 0x5C || $0 < 0x20 }) else {
                out.append(contentsOf: bytes)
                return
            }
            for byte in bytes {
                switch byte {
                case 0x22: out.append(0x5C); out.append(0x22)
                case 0x5C: out.append(0x5C); out.append(0x5C)
                case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
                case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
                case 0x08: out.append(0x5C); out.append(UInt8(ascii: "b"))
                case 0x0C: out.append(0x5C); out.append(UInt8(ascii: "f"))
                case 0..<0x20:
                    let hex = Array("0123456789abcdef".utf8)
                    out.append(contentsOf: [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
                default: out.append(byte)
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// The length in bytes of `serialize(value)`, computed without building it.
    public static func encodedSize(_ value: JSONValue) -> Int {
        switch value {
        case .null: return 4
        case .bool(let flag): return flag ? 4 : 5
        case .number(let number): return format(number).utf8.count
        case .bigInteger(let digits): return digits.utf8.count
        case .string(let text): return stringSize(text)
        case .array(let items): return 2 + max(0, items.count - 1) + items.reduce(0) { $0 + encodedSize($1) }
        case .object(let fields):
            return 2 + max(0, fields.count - 1) + fields.reduce(0) { $0 + stringSize($1.key) + 1 + encodedSize($1.value) }
        }
    }

    static func stringSize(_ text: String) -> Int {
        var size = 2
        for unit in text.utf8 {
            switch unit {
            case 0x22, 0x5C, 0x0A, 0x0D, 0x09, 0x08, 0x0C: size += 2
            case 0..<0x20: size += 6
            default: size += 1
            }
        }
        return size
    }
}
