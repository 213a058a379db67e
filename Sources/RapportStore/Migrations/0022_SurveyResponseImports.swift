extension Migrations {
    /// CSV imports of survey responses (docs/surveys.md, "Importing responses"): an import names the survey it fills,
    /// and a response may carry the id it had where it came from (`external_id`, one per survey, so a file imported
    /// twice adds nothing). The date index serves the list's and export's `from`/`to` filter.
    static let surveyResponseImports0022 = Migration(version: 22, name: "survey_response_imports") { _ in
        [
            "ALTER TABLE imports ADD COLUMN survey_id TEXT",
            "ALTER TABLE survey_responses ADD COLUMN external_id TEXT",
            """
            CREATE UNIQUE INDEX survey_responses_by_external_id ON survey_responses (workspace_id, survey_id, external_id)
                WHERE external_id IS NOT NULL
            """,
            "CREATE INDEX survey_responses_by_date ON survey_responses (workspace_id, survey_id, submitted_at)",
        ]
    }
}
