extension Migrations {
    /// Workspaces, users, memberships, API keys, sessions, sign-in throttle and the audit log.
    /// Timestamps are BIGINT Unix milliseconds (UTC); ids are UUIDv7 text. Tenant tables lead with workspace_id.
    static let platform0001 = Migration(version: 1, name: "platform") { _ in
        [
            """
            CREATE TABLE workspaces (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                name_key TEXT NOT NULL UNIQUE,
                created_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE users (
                id TEXT PRIMARY KEY,
                email TEXT NOT NULL UNIQUE,
                name TEXT,
                password_hash TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                last_login_at BIGINT
            )
            """,
            """
            CREATE TABLE memberships (
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'agent', 'analyst')),
                created_at BIGINT NOT NULL,
                PRIMARY KEY (workspace_id, user_id)
            )
            """,
            "CREATE INDEX memberships_by_user ON memberships (user_id)",
            """
            CREATE TABLE api_keys (
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                id TEXT NOT NULL,
                name TEXT NOT NULL,
                scope TEXT NOT NULL CHECK (scope IN ('read', 'write', 'admin', 'track')),
                prefix TEXT NOT NULL,
                secret_hash TEXT NOT NULL UNIQUE,
                created_by TEXT,
                created_at BIGINT NOT NULL,
                last_used_at BIGINT,
                revoked_at BIGINT,
                PRIMARY KEY (workspace_id, id)
            )
            """,
            """
            CREATE TABLE sessions (
                token_hash TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                csrf_token TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX sessions_by_expiry ON sessions (expires_at)",
            """
            CREATE TABLE login_failures (
                throttle_key TEXT NOT NULL,
                failed_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX login_failures_by_key ON login_failures (throttle_key, failed_at)",
            """
            CREATE TABLE audit_log (
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                id TEXT NOT NULL,
                occurred_at BIGINT NOT NULL,
                actor_type TEXT NOT NULL,
                actor_id TEXT,
                actor_label TEXT,
                action TEXT NOT NULL,
                target_type TEXT,
                target_id TEXT,
                ip TEXT,
                details TEXT NOT NULL,
                PRIMARY KEY (workspace_id, id)
            )
            """,
            "CREATE INDEX audit_log_by_action ON audit_log (workspace_id, action, id)",
        ]
    }
}
