extension Migrations {
    /// Teams of members (the follow-up queue's "My team", per-team numbers) and, on a follow-up case, the invitation
    /// of the survey sent after it was resolved (docs/surveys.md, "Closing the loop"). `name_key` (the lower-cased
    /// name) keeps names unique regardless of case on both databases.
    static let agentTeams0023 = Migration(version: 23, name: "agent_teams") { _ in
        [
            """
            CREATE TABLE teams (
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                id TEXT NOT NULL,
                name TEXT NOT NULL,
                name_key TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (workspace_id, id)
            )
            """,
            "CREATE UNIQUE INDEX teams_by_name ON teams (workspace_id, name_key)",
            """
            CREATE TABLE team_members (
                workspace_id TEXT NOT NULL,
                team_id TEXT NOT NULL,
                user_id TEXT NOT NULL,
                PRIMARY KEY (workspace_id, team_id, user_id),
                FOREIGN KEY (workspace_id, team_id) REFERENCES teams (workspace_id, id) ON DELETE CASCADE
            )
            """,
            "CREATE INDEX team_members_by_user ON team_members (workspace_id, user_id, team_id)",
            "ALTER TABLE follow_up_cases ADD COLUMN resurvey_invitation_id TEXT",
        ]
    }
}
