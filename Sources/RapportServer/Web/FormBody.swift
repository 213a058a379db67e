import Foundation
import Hummingbird
import NIOCore
import RapportCore

/// An `application/x-www-form-urlencoded` body.
struct FormBody: Sendable {
    /// The first value of each field.
    let values: [String: String]
    /// Every value of each field, in order (checkboxes that share a name).
    let lists: [String: [String]]

    /// The body, up to the configured limit or `limit` bytes if that is smaller (`413` beyond).
    static func read(_ request: Request, context: AppRequestContext, limit: Int? = nil) async throws -> FormBody {
        let bound = min(context.maxBodyBytes, limit ?? context.maxBodyBytes)
        let pairs = try parsePairs(Array(try await request.collectBody(limit: bound, context: context).readableBytesView))
        var values: [String: String] = [:]
        var lists: [String: [String]] = [:]
        for (key, value) in pairs {
            if values[key] == nil { values[key] = value }
            lists[key, default: []].append(value)
        }
        return FormBody(values: values, lists: lists)
    }

    /// The fields of the body. A field that is not UTF-8 text or holds U+0000 is refused with its name
    /// (`422 validation_failed`), never repaired: a replaced byte could make two emails or names one.
    static func parse(_ body: [UInt8]) throws(RapportError) -> [String: String] {
        var values: [String: String] = [:]
        for (key, value) in try parsePairs(body) where values[key] == nil { values[key] = value }
        return values
    }

    /// Every field in order, repeated names included.
    static func parsePairs(_ body: [UInt8]) throws(RapportError) -> [(String, String)] {
        var pairs: [(String, String)] = []
        for pair in body.split(separator: UInt8(ascii: "&")) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = PercentDecoding.text(parts[0], plusAsSpace: true) else {
                throw RapportError.invalid("form", "A form field name is not UTF-8 text without NUL characters.")
            }
            guard let value = parts.count > 1 ? PercentDecoding.text(parts[1], plusAsSpace: true) : "" else {
                throw RapportError.invalid(key, "\(key) must be UTF-8 text without NUL characters (U+0000).")
            }
            pairs.append((key, value))
        }
        return pairs
    }

    subscript(_ key: String) -> String? { values[key] }

    /// Every value sent under `key`; empty when none.
    func all(_ key: String) -> [String] { lists[key] ?? [] }
}
