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
        if let cursor {
            guard let id = Cursor.decode(cursor) else {
                throw RapportError(.badRequest, code: "invalid_cursor",
                                   message: "cursor must be the next_cursor of a previous page (a UUID).",
                                   details: ["field": "cursor"])
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
    /// Set when a search matched more items than it lists: all its pages are drawn from this many of the matches.
    public var matchLimit: Int?

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
        var page = Page<T>(items: try items.map(transform), nextCursor: nextCursor)
        page.matchLimit = matchLimit
        return page
    }
}

/// Cursors are the id of the last item of the previous page: ids are time-ordered UUIDs, so "older than this id"
/// is a stable keyset position whether or not that item still exists, and any UUID is a valid cursor.
public enum Cursor {
    public static func encode(_ id: String) -> String { id }

    public static func decode(_ cursor: String) -> String? {
        IDGenerator.isUUID(cursor) ? cursor.lowercased() : nil
    }
}
