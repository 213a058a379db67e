import RapportCore
import SQLKit

/// A signing secret as stored (a webhook endpoint's, the survey widget's identity secret): sealed under the server's
/// key (`SecretBox`, `v1.` and AES-GCM) when the store has one, else as it is, which an installation without a
/// `SECRET_KEY` keeps and rows from before sealing hold until start-up seals them (`sealPlain`). The sealed form is
/// told by its `v1.` prefix, which neither `whsec_` secrets nor base64url tokens can start with.
struct StoredSecret {
    let box: (any SecretBox)?

    func seal(_ secret: String) throws -> String { try box?.seal(secret) ?? secret }

    func seal(_ secret: String?) throws -> String? { try secret.map { try seal($0) } }

    /// The secret, or `secret_unreadable` when it is sealed under another key (or this server has none).
    func open(_ stored: String) throws -> String {
        guard let plain = openIfReadable(stored) else { throw RapportError.secretUnreadable }
        return plain
    }

    /// The secret, or nil when it is sealed under another key (or this server has none).
    func openIfReadable(_ stored: String) -> String? {
        guard Self.isSealed(stored) else { return stored }
        return try? box?.open(stored)
    }

    static func isSealed(_ stored: String) -> Bool { stored.hasPrefix("v1.") }

    /// The stored secrets (webhook endpoints', the survey widget's) that are still plain text, sealed with `box`;
    /// returns how many. Run at start-up once the server has a key.
    static func sealPlain(_ db: any SQLDatabase, box: any SecretBox) async throws -> Int {
        var sealed = 0
        let columns = [("webhook_endpoints", "id", "secret"), ("webhook_endpoints", "id", "previous_secret"),
                       ("survey_widget_settings", "workspace_id", "secret")]
        for (table, key, column) in columns {
            let rows = try await db.raw("""
                SELECT workspace_id, \(unsafeRaw: key) AS row_key, \(unsafeRaw: column) AS plain FROM \(unsafeRaw: table)
                WHERE \(unsafeRaw: column) IS NOT NULL AND \(unsafeRaw: column) NOT LIKE 'v1.%'
                """).all()
            for row in rows {
                try await db.raw("""
                    UPDATE \(unsafeRaw: table) SET \(unsafeRaw: column) = \(bind: try box.seal(try row.string("plain")))
                    WHERE workspace_id = \(bind: try row.string("workspace_id")) AND \(unsafeRaw: key) = \(bind: try row.string("row_key"))
                    """).run()
                sealed += 1
            }
        }
        return sealed
    }
}

extension DatabaseClient {
    /// Seals the signing secrets still stored as plain text (`StoredSecret.sealPlain`); returns how many.
    @discardableResult
    public func sealPlainSecrets(box: any SecretBox) async throws -> Int {
        try await write { try await StoredSecret.sealPlain($0, box: box) }
    }
}
