import Foundation

/// A page request: newest first, at most `limit` items older than `cursor`.
public struct PageRequest: Sendable, Equatable {
    public static let defaultLimit = 50
    public static let maxLimit = 200

    public var limit: Int
    /// The id of the last item of the previous page.
    public var after: String?

    public init(limit: Int = PageRequest.defaultLimit, after: String? = nil) {
        self.limit = limit
        self.after = after
    }

    /// Parses `?limit=` and `?cursor=` as the API takes them.
    public static func parse(limit: String?, cursor: String?) throws(RapportError) -> PageRequest {
        var page = PageRequest()
        if let limit {
            guard let n = Int(limit), (1...maxLimit).contains(n) else {
                throw RapportError(.badRequest, code: "invalid_parameter",
                                   message: "limit must be a whole number from 1 to \(maxLimit).",
                                   details: ["field": "limit"])
            }
            page.limit = n
        }
        if let cursor, !cursor.isEmpty {
            guard let id = Cursor.decode(cursor) else {
                throw RapportError(.badRequest, code: "invalid_cursor",
                                   message: "cursor is not one this API returned.", details: ["field": "cursor"])
            }
            page.after = id
        }
        return page
    }
}

/// One page of results and the cursor of the next, if any.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var nextCursor: String?

    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }

    /// Builds a page from up to `limit + 1` rows fetched newest first.
    public init(fetched: [Item], limit: Int, id: (Item) -> String) {
        if fetched.count > limit {
            self.items = Array(fetched.prefix(limit))
            self.nextCursor = items.last.map { Cursor.encode(id($0)) }
        } else {
            self.items = fetched
            self.nextCursor = nil
        }
    }

    public func map<T>(_ transform: (Item) throws -> T) rethrows -> Page<T> {
        Page<T>(items: try items.map(transform), nextCursor: nextCursor)
    }
}

/// Opaque cursors: base64url of `v1:<id>`.
public enum Cursor {
    public static func encode(_ id: String) -> String {
        Data("v1:\(id)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func decode(_ cursor: String) -> String? {
        var b64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        guard let data = Data(base64Encoded: b64), let text = String(data: data, encoding: .utf8),
              text.hasPrefix("v1:") else { return nil }
        let id = String(text.dropFirst(3))
        return IDGenerator.isUUID(id) ? id.lowercased() : nil
    }
}
