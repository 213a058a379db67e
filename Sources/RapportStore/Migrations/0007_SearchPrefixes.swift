extension Migrations {
    /// SQLite: the full-text index also indexes the first one, two and three characters of every word, so a search
    /// whose last word is that short reads one list instead of merging the lists of every word it starts (all of a
    /// workspace's profiles for `u`); with the search's match limit that read stops early. FTS5 options cannot be
    /// altered, so the table is rebuilt with the same rowids (`customer_search_keys` stays valid). PostgreSQL's GIN
    /// index needs no change.
    static let searchPrefixes0007 = Migration(version: 7, name: "search_prefixes") { kind in
        guard kind == .sqlite else { return [] }
        return [
            """
            CREATE VIRTUAL TABLE customer_search_prefixed USING fts5(
                workspace_id UNINDEXED, customer_id UNINDEXED, body, tokenize = 'unicode61 remove_diacritics 2',
                prefix = '1 2 3')
            """,
            """
            INSERT INTO customer_search_prefixed (rowid, workspace_id, customer_id, body)
            SELECT rowid, workspace_id, customer_id, body FROM customer_search
            """,
            "DROP TABLE customer_search",
            "ALTER TABLE customer_search_prefixed RENAME TO customer_search",
        ]
    }
}
