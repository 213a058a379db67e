extension Migrations {
    /// A workspace's own SMTP server (docs/email.md); the password sealed with the server's `SECRET_KEY`.
    static let workspaceSMTP0014 = Migration(version: 14, name: "workspace_smtp") { _ in
        [
            """
            CREATE TABLE workspace_smtp_settings (
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                host TEXT NOT NULL,
                port BIGINT NOT NULL,
                security TEXT NOT NULL,
                username TEXT,
                sealed_password TEXT,
                from_address TEXT NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (workspace_id)
            )
            """,
        ]
    }
}
