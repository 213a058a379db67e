extension Migrations {
    /// Imports run as jobs (docs/jobs.md, `import.run`): the uploaded file is stored in the database in pieces of about
    /// 1 MiB until its import finishes, so that any process on the database can run the import; `last_row` is the
    /// file's row number up to which rows were written, saved with each batch, where a re-run job resumes.
    static let importChunks0015 = Migration(version: 15, name: "import_chunks") { kind in
        [
            """
            CREATE TABLE import_chunks (
                workspace_id TEXT NOT NULL,
                import_id TEXT NOT NULL,
                sequence BIGINT NOT NULL,
                bytes \(kind == .postgres ? "BYTEA" : "BLOB") NOT NULL,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (workspace_id, import_id, sequence),
                FOREIGN KEY (workspace_id, import_id) REFERENCES imports (workspace_id, id) ON DELETE CASCADE
            )
            """,
            "ALTER TABLE imports ADD COLUMN last_row BIGINT NOT NULL DEFAULT 0",
        ]
    }
}
