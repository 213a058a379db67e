extension Migrations {
    /// SQLite: which full-text row holds each profile's search entry. FTS5 indexes only the text, so deleting an
    /// entry by customer id scanned every entry of every workspace (a full scan per ingest batch that created or
    /// changed a profile); the entry is now deleted by its rowid. PostgreSQL's table is keyed already.
    static let searchKeys0005 = Migration(version: 5, name: "search_keys") { kind in
        guard kind == .sqlite else { return [] }
        return [
            """
            CREATE TABLE customer_search_keys (
                workspace_id TEXT NOT NULL,
                customer_id TEXT NOT NULL,
                search_rowid INTEGER NOT NULL,
                PRIMARY KEY (workspace_id, customer_id)
            )
            """,
            "CREATE UNIQUE INDEX customer_search_keys_by_rowid ON customer_search_keys (search_rowid)",
            "INSERT OR REPLACE INTO customer_search_keys SELECT workspace_id, customer_id, rowid FROM customer_search",
        ]
    }
}
