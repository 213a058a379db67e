extension Migrations {
    /// Customer 360: profiles, identifiers, trait history, merges, the timeline, orders, accounts, consent, search.
    static let customers0002 = Migration(version: 2, name: "customers") { kind in
        var statements = [
            """
            CREATE TABLE customers (
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                id TEXT NOT NULL,
                email TEXT,
                name TEXT,
                phone TEXT,
                traits TEXT NOT NULL,
                trait_times TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                first_seen_at BIGINT NOT NULL,
                last_seen_at BIGINT NOT NULL,
                merged_into TEXT,
                PRIMARY KEY (workspace_id, id)
            )
            """,
            "CREATE INDEX customers_by_email ON customers (workspace_id, email)",
            """
            CREATE TABLE customer_identifiers (
                workspace_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                namespace TEXT NOT NULL,
                value TEXT NOT NULL,
                customer_id TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (workspace_id, kind, namespace, value)
            )
            """,
            "CREATE INDEX customer_identifiers_by_customer ON customer_identifiers (workspace_id, customer_id)",
            """
            CREATE TABLE trait_history (
                workspace_id TEXT NOT NULL,
                id TEXT NOT NULL,
                customer_id TEXT NOT NULL,
                trait TEXT NOT NULL,
                value TEXT NOT NULL,
                source TEXT NOT NULL,
                recorded_at BIGINT NOT NULL,
                PRIMARY KEY (workspace_id, id)
            )
            """,
            "CREATE INDEX trait_history_by_customer ON trait_history (workspace_id, customer_id, id)",
            """
            CREATE TABLE customer_merges (
                workspace_id TEXT NOT NULL,
                id TEXT NOT NULL,
                survivor_id TEXT NOT NULL,
                merged_id TEXT NOT NULL,
                reason TEXT NOT NULL,
                identifiers TEXT NOT NULL,
                merged_at BIGINT NOT NULL,
                PRIMARY KEY (workspace_id, id)
            )
            """,
            "CREATE INDEX customer_merges_by_survivor ON customer_merges (workspace_id, survivor_id)",
            """
            CREATE TABLE activities (
                workspace_id TEXT NOT NULL,
                id TEXT NOT NULL,
                customer_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                name TEXT,
                occurred_at BIGINT NOT NULL,
                received_at BIGINT NOT NULL,
                message_id TEXT,
                properties TEXT NOT NULL,
                context TEXT NOT NULL,
                PRIMARY KEY (workspace_id, id)
            )
            """,
            "CREATE UNIQUE INDEX activities_by_message ON activities (workspace_id, message_id)",
            "CREATE INDEX activities_timeline ON activities (workspace_id, customer_id, occurred_at, id)",
            "CREATE INDEX activities_by_name ON activities (workspace_id, kind, name, customer_id)",
            """
            CREATE TABLE orders (
                workspace_id TEXT NOT NULL,
                id TEXT NOT NULL,
                order_id TEXT NOT NULL,
                customer_id TEXT,
                status TEXT NOT NULL,
                currency TEXT NOT NULL,
                total DOUBLE PRECISION NOT NULL,
                occurred_at BIGINT NOT NULL,
                refunded_at BIGINT,
                source TEXT NOT NULL,
                PRIMARY KEY (workspace_id, id),
                UNIQUE (workspace_id, order_id)
            )
            """,
            "CREATE INDEX orders_by_customer ON orders (workspace_id, customer_id, occurred_at)",
            """
            CREATE TABLE order_lines (
                workspace_id TEXT NOT NULL,
                order_id TEXT NOT NULL,
                line_no INTEGER NOT NULL,
                product_id TEXT,
                sku TEXT,
                name TEXT,
                category TEXT,
                price DOUBLE PRECISION NOT NULL,
                quantity INTEGER NOT NULL,
                PRIMARY KEY (workspace_id, order_id, line_no)
            )
            """,
            """
            CREATE TABLE accounts (
                workspace_id TEXT NOT NULL,
                id TEXT NOT NULL,
                group_id TEXT NOT NULL,
                name TEXT,
                traits TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (workspace_id, id),
                UNIQUE (workspace_id, group_id)
            )
            """,
            """
            CREATE TABLE account_members (
                workspace_id TEXT NOT NULL,
                account_id TEXT NOT NULL,
                customer_id TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (workspace_id, account_id, customer_id)
            )
            """,
            "CREATE INDEX account_members_by_customer ON account_members (workspace_id, customer_id)",
            """
            CREATE TABLE consents (
                workspace_id TEXT NOT NULL,
                id TEXT NOT NULL,
                customer_id TEXT NOT NULL,
                purpose TEXT NOT NULL,
                channel TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('granted', 'withdrawn')),
                source TEXT NOT NULL,
                recorded_at BIGINT NOT NULL,
                PRIMARY KEY (workspace_id, id)
            )
            """,
            "CREATE INDEX consents_by_customer ON consents (workspace_id, customer_id, recorded_at)",
        ]
        switch kind {
        case .sqlite:
            statements.append("""
                CREATE VIRTUAL TABLE customer_search USING fts5(
                    workspace_id UNINDEXED, customer_id UNINDEXED, body, tokenize = 'unicode61 remove_diacritics 2')
                """)
        case .postgres:
            statements += [
                """
                CREATE TABLE customer_search (
                    workspace_id TEXT NOT NULL,
                    customer_id TEXT NOT NULL,
                    body TEXT NOT NULL,
                    document TSVECTOR NOT NULL,
                    PRIMARY KEY (workspace_id, customer_id)
                )
                """,
                "CREATE INDEX customer_search_document ON customer_search USING GIN (document)",
            ]
        }
        return statements
    }
}
