extension Migrations {
    /// A profile's identifiers are read in (kind, namespace, value) order on hot paths (identity resolution when a
    /// message names two profiles, the profile page). An index whose columns are the filter then that order answers
    /// the read with one index range and no sort, whatever the statistics say; it replaces the by-customer index,
    /// which is its prefix.
    static let plannedLookups0006 = Migration(version: 6, name: "planned_lookups") { _ in
        [
            """
            CREATE INDEX customer_identifiers_by_customer_sorted
            ON customer_identifiers (workspace_id, customer_id, kind, namespace, value)
            """,
            "DROP INDEX customer_identifiers_by_customer",
        ]
    }
}
