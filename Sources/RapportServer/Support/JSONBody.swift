import Foundation
import Hummingbird
import NIOCore
import RapportCore

/// A JSON request body, read whole (up to the configured limit) and checked field by field.
struct JSONBody: Sendable {
    let fields: [String: JSONValue]

    /// Reads the body as a JSON object whose keys are all in `allowed`, up to `limit` bytes (else the configured
    /// limit). With `plainText`, a `text/plain` body is read as JSON too: a browser sends that cross-origin without a
    /// CORS preflight (the widget, like rapport.js).
    static func read(_ request: Request, context: AppRequestContext, allowed: Set<String>, limit: Int? = nil,
                     plainText: Bool = false) async throws -> JSONBody {
        let contentType = (request.headers[.contentType] ?? "").lowercased()
        guard contentType.hasPrefix("application/json") || (plainText && contentType.hasPrefix("text/plain")) else {
            throw RapportError(.unsupportedMediaType, code: "unsupported_media_type",
                               message: "Send the body as JSON with 'Content-Type: application/json'.")
        }
        let bound = min(limit ?? context.maxBodyBytes, context.maxBodyBytes)
        let body = try ContentDecoding.decode(try await request.collectBody(limit: bound, context: context),
                                              contentEncoding: request.headers[.contentEncoding], limit: bound)
        let data = Data(body.readableBytesView)
        let value: JSONValue
        var containsNUL = false
        do {
            value = try JSONCodec.parse(data, containsNUL: &containsNUL)
        } catch let error as JSONCodec.ParseError {
            throw RapportError.invalidJSON(error)
        }
        guard case .object(let fields) = value else {
            throw RapportError(.badRequest, code: "invalid_json", message: "The request body must be a JSON object.")
        }
        if containsNUL, let field = value.pathOfNUL("") { throw RapportError.containsNUL(field) }
        if let unknown = fields.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw RapportError.invalid(unknown, "\(unknown) is not a field of this request; allowed: \(allowed.sorted().joined(separator: ", ")).")
        }
        return JSONBody(fields: fields)
    }

    func has(_ key: String) -> Bool { fields[key] != nil }

    /// A required string.
    func string(_ key: String) throws(RapportError) -> String {
        guard let value = fields[key], value != .null else { throw RapportError.invalid(key, "\(key) is required.") }
        guard case .string(let string) = value else { throw RapportError.invalid(key, "\(key) must be a string.") }
        return string
    }

    /// An optional JSON object: nil when absent or null.
    func object(_ key: String) throws(RapportError) -> [String: JSONValue]? {
        guard let value = fields[key], value != .null else { return nil }
        guard case .object(let object) = value else { throw RapportError.invalid(key, "\(key) must be an object.") }
        return object
    }

    /// An optional JSON array: nil when absent or null.
    func array(_ key: String) throws(RapportError) -> [JSONValue]? {
        guard let value = fields[key], value != .null else { return nil }
        guard case .array(let array) = value else { throw RapportError.invalid(key, "\(key) must be an array.") }
        return array
    }

    /// An optional number: nil when absent or null.
    func number(_ key: String) throws(RapportError) -> Double? {
        guard let value = fields[key], value != .null else { return nil }
        guard value.typeName == "number", let number = value.numberValue else {
            throw RapportError.invalid(key, "\(key) must be a number.")
        }
        return number
    }

    /// An optional boolean: nil when absent or null.
    func bool(_ key: String) throws(RapportError) -> Bool? {
        guard let value = fields[key], value != .null else { return nil }
        guard case .bool(let flag) = value else { throw RapportError.invalid(key, "\(key) must be true or false.") }
        return flag
    }

    /// An optional array of strings: nil when absent or null.
    func strings(_ key: String) throws(RapportError) -> [String]? {
        guard let array = try array(key) else { return nil }
        return try array.enumerated().map { index, value throws(RapportError) in
            guard case .string(let string) = value else { throw RapportError.invalid("\(key)[\(index)]", "\(key) must hold strings.") }
            return string
        }
    }

    /// An optional string: nil when absent or null.
    func optionalString(_ key: String) throws(RapportError) -> String? {
        guard let value = fields[key], value != .null else { return nil }
        guard case .string(let string) = value else { throw RapportError.invalid(key, "\(key) must be a string or null.") }
        return string
    }
}

extension RapportError {
    /// `400 invalid_json`, saying what is wrong when it is more than syntax (invalid UTF-8, a number out of range).
    static func invalidJSON(_ error: JSONCodec.ParseError) -> RapportError {
        let message = switch error.reason {
        case .syntax: "The request body is not valid JSON."
        case .invalidUTF8: "The request body is not valid JSON: \(error.description) (RFC 8259 requires UTF-8)."
        case .numberOutOfRange: "The request body is not valid JSON: \(error.description) (numbers must lie within ±1.8e308)."
        }
        return RapportError(.badRequest, code: "invalid_json", message: message)
    }

    /// A text value holding U+0000, which PostgreSQL cannot store: refused on both databases, naming the field.
    static func containsNUL(_ field: String) -> RapportError {
        RapportError.invalid(field, "\(field) must not contain the NUL character (U+0000).")
    }
}

extension JSONBody {
    /// The person a write names: `customer_id` (a UUID, else `404`), or `user_id` and/or `email` (checked).
    func customerReference() throws(RapportError) -> (customerId: String?, identifiers: [Identifier]) {
        var identifiers: [Identifier] = []
        if let userId = try optionalString("user_id") { identifiers.append(Identifier(.userId, userId)) }
        if let email = try optionalString("email") { identifiers.append(Identifier(.email, try Validation.email(email))) }
        let customerId = try optionalString("customer_id")
        if let customerId, !IDGenerator.isUUID(customerId) { throw RapportError.notFound("customer") }
        return (customerId?.lowercased(), identifiers)
    }

    /// An optional ISO-8601 timestamp field, in milliseconds; `422` naming it when it is not one.
    func optionalTimestamp(_ key: String) throws(RapportError) -> Int64? {
        guard let raw = try optionalString(key) else { return nil }
        guard let millis = ISO8601.millis(raw) else { throw RapportError.invalid(key, "\(key) must be an ISO-8601 timestamp.") }
        return millis
    }
}
