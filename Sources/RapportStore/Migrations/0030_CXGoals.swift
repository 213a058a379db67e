extension Migrations {
    /// CX goals (docs/methods.md, "Goals"): a survey metric, a target and a due date, optionally for one survey and
    /// one segment. The survey and segment are not foreign keys: deleting either leaves the goal, shown unavailable.
    static let cxGoals0030 = Migration(version: 30, name: "cx_goals") { _ in
        [
            """
            CREATE TABLE cx_goals (
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                id TEXT NOT NULL,
                name TEXT NOT NULL,
                metric TEXT NOT NULL,
                target DOUBLE PRECISION NOT NULL,
                due_date TEXT NOT NULL,
                survey_id TEXT,
                segment_id TEXT,
                window_days INTEGER NOT NULL,
                created_by TEXT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (workspace_id, id)
            )
            """,
        ]
    }
}
