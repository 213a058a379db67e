import Foundation
import Hummingbird
import NIOCore
import RapportCore

/// An `application/x-www-form-urlencoded` body.
struct FormBody: Sendable {
    let values: [String: String]

    static func read(_ request: Request, context: AppRequestContext) async throws -> FormBody {
        FormBody(values: parse(String(buffer: try await request.limitedBody(context))))
    }

    static func parse(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = decode(parts[0])
            let value = parts.count > 1 ? decode(parts[1]) : ""
            if values[key] == nil { values[key] = value }
        }
        return values
    }

    private static func decode(_ raw: Substring) -> String {
        raw.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(raw)
    }

    subscript(_ key: String) -> String? { values[key] }
}
