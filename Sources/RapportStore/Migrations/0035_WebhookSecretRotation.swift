extension Migrations {
    /// A webhook endpoint's secret can be rotated with an overlap: the previous secret (sealed like the secret) keeps
    /// signing deliveries beside the new one until `previous_secret_expires_at`, so a receiver can switch without
    /// refusing events meanwhile (Standard Webhooks allows several signatures in `webhook-signature`).
    static let webhookSecretRotation0035 = Migration(version: 35, name: "webhook_secret_rotation") { _ in
        [
            "ALTER TABLE webhook_endpoints ADD COLUMN previous_secret TEXT",
            "ALTER TABLE webhook_endpoints ADD COLUMN previous_secret_expires_at BIGINT",
        ]
    }
}
