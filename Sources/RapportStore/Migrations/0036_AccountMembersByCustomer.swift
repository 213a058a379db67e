extension Migrations {
    /// The accounts a customer belongs to (profile page, customer lists) are found from `account_members` by
    /// customer. With only `(workspace_id, customer_id)` in the by-customer index, each hit needed a table read for
    /// its account id, and SQLite, without statistics, preferred to walk the primary key (every membership of the
    /// workspace) because it holds all three columns. An index whose columns are the filter then the account id
    /// answers the read from the index alone; it replaces the by-customer index, which is its prefix.
    static let accountMembersByCustomer0036 = Migration(version: 36, name: "account_members_by_customer") { _ in
        [
            """
            CREATE INDEX account_members_by_customer_account
            ON account_members (workspace_id, customer_id, account_id)
            """,
            "DROP INDEX account_members_by_customer",
        ]
    }
}
