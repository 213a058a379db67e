extension Migrations {
    /// Amounts become integers of the currency's minor unit (ISO 4217 exponent): `orders.total` → `total_minor`,
    /// `order_lines.price` → `price_minor` (a line has its order's currency). Each old float is multiplied by
    /// 10^exponent and rounded half to even, the rule new input follows (`Money.minorUnits`); the float columns are
    /// dropped (SQLite ≥ 3.35 drops columns). The new columns keep their `DEFAULT 0` (SQLite cannot drop a default);
    /// every insert sets them.
    /// The exponents are written out here, not read from `Money`, so that this migration never changes.
    static let moneyMinorUnits0008 = Migration(version: 8, name: "money_minor_units") { kind in
        func minor(_ column: String, currencyOf currency: String) -> String {
            // The float's decimal first, so that 1.015 × 100 is 101.5 and not 101.49999999999999: PostgreSQL's cast to
            // numeric keeps 15 significant digits (DBL_DIG); on SQLite rounding the product to 6 places does the same.
            let scaled = kind == .postgres
                ? "(CAST(\(column) AS NUMERIC) * \(scale(currency)))"
                : "ROUND(\(column) * \(scale(currency)), 6)"
            // Half to even: an exact half (12.5 cents) goes to the even neighbour; both databases' round() go away from
            // zero on these types, so the rule is spelled out.
            let truncated = kind == .postgres ? "trunc(\(scaled))" : "CAST(\(scaled) AS INTEGER)"
            return """
                CAST(CASE WHEN \(scaled) - \(truncated) IN (0.5, -0.5) THEN 2 * round(\(scaled) / 2) ELSE round(\(scaled)) END AS BIGINT)
                """
        }
        return [
            "ALTER TABLE orders ADD COLUMN total_minor BIGINT NOT NULL DEFAULT 0",
            "UPDATE orders SET total_minor = \(minor("total", currencyOf: "currency"))",
            "ALTER TABLE orders DROP COLUMN total",
            "ALTER TABLE order_lines ADD COLUMN price_minor BIGINT NOT NULL DEFAULT 0",
            """
            UPDATE order_lines SET price_minor = \(minor("price", currencyOf: "(SELECT o.currency FROM orders o WHERE o.workspace_id = order_lines.workspace_id AND o.id = order_lines.order_id)"))
            """,
            "ALTER TABLE order_lines DROP COLUMN price",
        ]
    }

    /// 10^exponent of a currency code expression, as SQL: ISO 4217's minor units as of this migration.
    private static func scale(_ currency: String) -> String {
        let exponents: [(Int, [String])] = [
            (0, ["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF",
                 "XOF", "XPF"]),
            (3, ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"]),
            (4, ["CLF", "UYW"]),
        ]
        let cases = exponents.map { exponent, codes in
            "WHEN UPPER(\(currency)) IN (\(codes.map { "'\($0)'" }.joined(separator: ", "))) THEN \(["1", "10", "100", "1000", "10000"][exponent])"
        }
        return "(CASE \(cases.joined(separator: " ")) ELSE 100 END)"
    }
}
