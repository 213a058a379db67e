import Foundation
import RapportCore
import SQLKit

/// Customer search: the list query with its full-text lookups, and the search entries kept beside the profiles
/// (`customer_search`, an FTS5 table on SQLite and a tsvector column on PostgreSQL).
extension SQLCustomerRepository {
    func list(workspaceId: String, query: CustomerQuery, page: PageRequest) async throws -> Page<Customer> {
        var matched: [String]?
        var capped = false
        if let search = query.search, !search.trimmed.isEmpty {
            let words = SearchText.words(search)
            guard !words.isEmpty else { return Page(items: [], nextCursor: nil) }
            matched = try await searchByExactWords(workspaceId: workspaceId, words)
            if matched == nil {
                let found = try await searchMatches(workspaceId: workspaceId, SearchText.match(words, postgres: isPostgres))
                capped = found.count > Self.searchMatchLimit
                matched = Array(found.prefix(Self.searchMatchLimit))
            }
            if matched?.isEmpty == true { return Page(items: [], nextCursor: nil) }
        }
        var sql = SQLQueryString("SELECT \(unsafeRaw: Self.columns) FROM ")
        if let matched {
            // The matching profiles by key. On PostgreSQL `OFFSET 0` keeps the planner from walking every profile in
            // page order instead, testing each against the list (it cannot see how few the list holds).
            sql.appendInterpolation(unsafeRaw: "(SELECT * FROM customers WHERE workspace_id = ")
            sql.appendInterpolation(bind: workspaceId)
            sql.appendInterpolation(unsafeRaw: " AND id ")
            sql.appendInterpolation(isIn: matched, postgres: isPostgres)
            sql.appendInterpolation(unsafeRaw: isPostgres ? " OFFSET 0) c" : ") c")
        } else {
            sql.appendInterpolation(unsafeRaw: "customers c")
        }
        if let segmentId = query.segmentId {
            sql.appendInterpolation(unsafeRaw: " JOIN segment_members sm ON sm.workspace_id = c.workspace_id AND sm.customer_id = c.id AND sm.segment_id = ")
            sql.appendInterpolation(bind: segmentId)
        }
        if let accountId = query.accountId {
            sql.appendInterpolation(unsafeRaw: " JOIN account_members am ON am.workspace_id = c.workspace_id AND am.customer_id = c.id AND am.account_id = ")
            sql.appendInterpolation(bind: accountId)
        }
        sql.appendInterpolation(unsafeRaw: " WHERE c.workspace_id = ")
        sql.appendInterpolation(bind: workspaceId)
        sql.appendInterpolation(unsafeRaw: " AND c.merged_into IS NULL")
        if let email = query.email {
            sql.appendInterpolation(unsafeRaw: " AND c.email = ")
            sql.appendInterpolation(bind: email.lowercased())
        }
        var result = try await db.page(sql, column: "c.id", page: page, id: \.id, decode: Self.customer)
        if capped { result.matchLimit = Self.searchMatchLimit }
        return result
    }

    /// The profiles whose search entry has every word, the last one as a prefix, found without the prefix lookup
    /// when that is cheaper; nil when it is not. A prefix of a common word (the `com` of every address) makes both
    /// FTS5 and GIN merge a list of every profile first (30 ms at a million profiles), so with several words the
    /// others are looked up exactly first (index seeks driven by the rarest), and when at most
    /// `searchCandidateLimit` profiles have them, the last word's prefix is checked here on their entries, with the
    /// engine's own folding (FTS5's `remove_diacritics 2`; PostgreSQL's `simple` configuration folds case only).
    private func searchByExactWords(workspaceId: String, _ words: [String]) async throws -> [String]? {
        guard words.count > 1, let last = words.last else { return nil }
        let exact = SearchText.match(words.dropLast(), postgres: isPostgres, lastAsPrefix: false)
        let limit = Self.searchCandidateLimit
        // Count first, without reading entries: on SQLite over every workspace's entries (rowids only, straight from
        // the index; an overcount only means the full-text prefix lookup is used).
        let counted = try await db.raw(isPostgres
            ? """
              SELECT COUNT(*) AS n FROM (SELECT 1 FROM customer_search WHERE workspace_id = \(bind: workspaceId)
              AND document @@ to_tsquery('simple', \(bind: exact)) LIMIT \(unsafeRaw: String(limit + 1))) x
              """
            : """
              SELECT COUNT(*) AS n FROM (SELECT rowid FROM customer_search WHERE customer_search MATCH \(bind: exact)
              LIMIT \(unsafeRaw: String(limit + 1)))
              """).first()?.int("n") ?? 0
        guard counted <= limit else { return nil }
        guard counted > 0 else { return [] }
        let rows = try await db.raw(isPostgres
            ? """
              SELECT customer_id, body FROM customer_search
              WHERE workspace_id = \(bind: workspaceId) AND document @@ to_tsquery('simple', \(bind: exact))
              """
            : """
              SELECT customer_id, body FROM customer_search
              WHERE customer_search MATCH \(bind: exact) AND workspace_id = \(bind: workspaceId)
              """).all()
        let fold = isPostgres ? { $0 } : SearchText.foldDiacritics
        let prefix = fold(last)
        return try rows.compactMap { row in
            let words = try row.string("body").split(separator: " ")
            return words.contains { fold(String($0)).hasPrefix(prefix) } ? try row.string("customer_id") : nil
        }
    }

    /// The profiles matching a full-text search, at most `searchMatchLimit + 1` of them (on SQLite the most
    /// recently indexed first), to be paged by id. Every page of a broad search (`u`, 100,000 matches) used to
    /// collect, join and sort all its matches (120 ms a page); it now reads at most this many, and the answer says
    /// so when there were more (`matches_capped_at`). FTS5 reads prefixes of up to three characters from its prefix
    /// index (migration 0007), so the limit also bounds the full-text read; PostgreSQL's GIN index stops at it too.
    private func searchMatches(workspaceId: String, _ match: String) async throws -> [String] {
        let limit = String(Self.searchMatchLimit + 1)
        return try await db.raw(isPostgres
            ? """
              SELECT customer_id FROM customer_search WHERE workspace_id = \(bind: workspaceId)
              AND document @@ to_tsquery('simple', \(bind: match)) LIMIT \(unsafeRaw: limit)
              """
            : """
              SELECT customer_id FROM customer_search WHERE customer_search MATCH \(bind: match)
              AND workspace_id = \(bind: workspaceId) ORDER BY rowid DESC LIMIT \(unsafeRaw: limit)
              """).all().map { try $0.string("customer_id") }
    }

    /// The most matches a search lists; a support agent narrows a broader search by typing more.
    static let searchMatchLimit = 1000

    /// How many profiles having the other words of a search are few enough to check the last word's prefix on.
    static let searchCandidateLimit = 1000

    func refreshSearch(workspaceId: String, customerIds: [String]) async throws {
        for start in stride(from: 0, to: customerIds.count, by: 300) {
            let ids = Array(customerIds[start..<min(start + 300, customerIds.count)])
            var values: [String: [String?]] = [:]
            for customer in try await find(workspaceId: workspaceId, ids: ids) {
                values[customer.id] = [customer.name, customer.email, customer.phone]
            }
            let rows = try await db.raw("""
                SELECT customer_id, value FROM customer_identifiers
                WHERE workspace_id = \(bind: workspaceId) AND customer_id \(isIn: ids, postgres: isPostgres)
                """).all()
            for row in rows { values[try row.string("customer_id"), default: []].append(try row.string("value")) }
            try await deleteSearch(workspaceId: workspaceId, customerIds: ids)
            try await insertSearch(workspaceId: workspaceId, values.keys.sorted().map { ($0, values[$0] ?? []) })
        }
    }

    func writeSearch(workspaceId: String, _ entries: [(customerId: String, values: [String?])]) async throws {
        for start in stride(from: 0, to: entries.count, by: 300) {
            let chunk = Array(entries[start..<min(start + 300, entries.count)])
            try await deleteSearch(workspaceId: workspaceId, customerIds: chunk.map(\.customerId))
            try await insertSearch(workspaceId: workspaceId, chunk)
        }
    }

    func removeSearch(workspaceId: String, customerIds: [String]) async throws {
        for start in stride(from: 0, to: customerIds.count, by: 500) {
            try await deleteSearch(workspaceId: workspaceId, customerIds: Array(customerIds[start..<min(start + 500, customerIds.count)]))
        }
    }

    /// Removes search entries; on SQLite by rowid through `customer_search_keys` (FTS5 cannot seek by customer id).
    func deleteSearch(workspaceId: String, customerIds: [String]) async throws {
        guard !customerIds.isEmpty else { return }
        if isPostgres {
            try await db.raw("""
                DELETE FROM customer_search WHERE workspace_id = \(bind: workspaceId) AND customer_id \(isIn: customerIds, postgres: true)
                """).run()
            return
        }
        try await db.raw("""
            DELETE FROM customer_search WHERE rowid IN (SELECT search_rowid FROM customer_search_keys
                WHERE workspace_id = \(bind: workspaceId) AND customer_id \(isIn: customerIds, postgres: false))
            """).run()
        try await db.raw("""
            DELETE FROM customer_search_keys WHERE workspace_id = \(bind: workspaceId) AND customer_id \(isIn: customerIds, postgres: false)
            """).run()
    }

    /// Adds search entries (after `deleteSearch` of the same profiles); on SQLite with explicit rowids, recorded in
    /// `customer_search_keys` (one writer, so the next rowid cannot be taken concurrently).
    private func insertSearch(workspaceId: String, _ entries: [(customerId: String, values: [String?])]) async throws {
        guard !entries.isEmpty else { return }
        var next: Int64 = 0
        if !isPostgres {
            next = (try await db.raw("SELECT COALESCE(MAX(search_rowid), 0) AS n FROM customer_search_keys").first()?.int64("n") ?? 0) + 1
        }
        var sql = SQLQueryString(isPostgres
            ? "INSERT INTO customer_search (workspace_id, customer_id, body, document) VALUES "
            : "INSERT INTO customer_search (rowid, workspace_id, customer_id, body) VALUES ")
        var keys = SQLQueryString("INSERT INTO customer_search_keys (workspace_id, customer_id, search_rowid) VALUES ")
        for (offset, entry) in entries.enumerated() {
            let body = SearchText.document(entry.values)
            if offset > 0 {
                sql.appendInterpolation(unsafeRaw: ", ")
                keys.appendInterpolation(unsafeRaw: ", ")
            }
            sql.appendInterpolation(unsafeRaw: "(")
            if isPostgres {
                sql.appendInterpolation(binds: [workspaceId, entry.customerId, body])
                sql.appendInterpolation(unsafeRaw: ", to_tsvector('simple', ")
                sql.appendInterpolation(bind: body)
                sql.appendInterpolation(unsafeRaw: ")")
            } else {
                let rowid = next + Int64(offset)
                sql.appendInterpolation(bind: rowid)
                sql.appendInterpolation(unsafeRaw: ", ")
                sql.appendInterpolation(binds: [workspaceId, entry.customerId, body])
                keys.appendInterpolation(unsafeRaw: "(")
                keys.appendInterpolation(binds: [workspaceId, entry.customerId])
                keys.appendInterpolation(unsafeRaw: ", ")
                keys.appendInterpolation(bind: rowid)
                keys.appendInterpolation(unsafeRaw: ")")
            }
            sql.appendInterpolation(unsafeRaw: ")")
        }
        try await db.raw(sql).run()
        if !isPostgres { try await db.raw(keys).run() }
    }
}

/// Search documents and queries shared by SQLite FTS5 and PostgreSQL tsvector: lower-case alphanumeric tokens,
/// so `ann@example.com` is found by `ann`, `example.com` or the whole address on both databases.
enum SearchText {
    static func tokens(_ text: String) -> [String] {
        text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }

    static func document(_ parts: [String?]) -> String {
        parts.compactMap { $0 }.flatMap(tokens).joined(separator: " ")
    }

    /// The words of a search, at most 12.
    static func words(_ text: String) -> [String] { Array(tokens(text).prefix(12)) }

    /// An FTS5 MATCH or a to_tsquery string: every word must occur, the last one as a prefix unless told otherwise.
    /// Words are letters and digits only, so they cannot carry query syntax.
    static func match(_ words: some Collection<String>, postgres: Bool, lastAsPrefix: Bool = true) -> String {
        let count = words.count
        return words.enumerated().map { offset, word in
            let prefix = lastAsPrefix && offset == count - 1
            if postgres { return prefix ? "\(word):*" : word }
            return prefix ? "\"\(word)\"*" : "\"\(word)\""
        }.joined(separator: postgres ? " & " : " ")
    }

    /// Case and accents folded away, as FTS5's `unicode61 remove_diacritics 2` tokenizer does.
    static func foldDiacritics(_ word: String) -> String {
        word.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil)
    }
}
