import Foundation
import Hummingbird
import RapportCore
import RapportRuntime
@testable import RapportStore
import SQLKit
import Testing

/// Signing secrets that must be read back to sign (a webhook endpoint's, the survey widget's identity secret) are
/// stored sealed under the server's key, read back as they were; plain ones from before are sealed at start-up, and an
/// installation without a key keeps them as they are.
@Suite("Signing secrets at rest")
struct SealedSecretTests {
    static func stored(_ database: DatabaseClient, _ sql: SQLQueryString) async throws -> String? {
        try await database.read { try await $0.raw(sql).first()?.decode(column: "secret", as: String?.self) }
    }

    @Test func webhookAndWidgetSecretsAreSealedAndReadAsTheyWere() async throws {
        try await TestApp.run(configure: { $0.secretKey = WorkspaceSMTPTests.key }) { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey, workspaceId = acme.workspace.id, database = services.database
            let made = try await http.call(.post, "/api/v1/webhooks", key: key,
                                           json: ["url": "https://93.184.216.34/hooks/rapport", "event_types": ["customer.created"]])
            #expect(made.status == .created, "\(made.text)")
            let id = try #require(made.string("id")), secret = try #require(made.string("secret"))
            #expect(secret.hasPrefix("whsec_"))
            let endpointRow: SQLQueryString = "SELECT secret FROM webhook_endpoints WHERE workspace_id = \(bind: workspaceId) AND id = \(bind: id)"
            let sealed = try #require(try await Self.stored(database, endpointRow))
            #expect(sealed.hasPrefix("v1.") && !sealed.contains(secret.dropFirst(6)), "\(sealed)")
            #expect(try await http.get("/api/v1/webhooks/\(id)", key: key).string("secret") == secret)

            let widget = try await http.call(.put, "/api/v1/survey-widget", key: key, json: ["require_user_hash": true])
            let widgetSecret = try #require(widget.string("secret"), "\(widget.text)")
            let widgetRow: SQLQueryString = "SELECT secret FROM survey_widget_settings WHERE workspace_id = \(bind: workspaceId)"
            let widgetSealed = try #require(try await Self.stored(database, widgetRow))
            #expect(widgetSealed.hasPrefix("v1.") && !widgetSealed.contains(widgetSecret))
            #expect(try await http.get("/api/v1/survey-widget", key: key).string("secret") == widgetSecret)

            // Secrets stored plain (before sealing, or by a server without a key) read as they are and are sealed at
            // start-up once there is a key.
            try await database.write { db in
                try await db.raw("UPDATE webhook_endpoints SET secret = \(bind: secret) WHERE workspace_id = \(bind: workspaceId)").run()
                try await db.raw("UPDATE survey_widget_settings SET secret = \(bind: widgetSecret) WHERE workspace_id = \(bind: workspaceId)").run()
            }
            #expect(try await http.get("/api/v1/webhooks/\(id)", key: key).string("secret") == secret)
            #expect(try await database.sealPlainSecrets(box: AESGCMSecretBox(key: WorkspaceSMTPTests.key)) == 2)
            #expect(try await Self.stored(database, endpointRow)?.hasPrefix("v1.") == true)
            #expect(try await Self.stored(database, widgetRow)?.hasPrefix("v1.") == true)
            #expect(try await database.sealPlainSecrets(box: AESGCMSecretBox(key: WorkspaceSMTPTests.key)) == 0)
            #expect(try await http.get("/api/v1/webhooks/\(id)", key: key).string("secret") == secret)
            #expect(try await http.get("/api/v1/survey-widget", key: key).string("secret") == widgetSecret)

            // Sealed under another key: the endpoint's secret cannot be read, which is said, not shown as garbage.
            try await database.write { db in
                try await db.raw("""
                    UPDATE webhook_endpoints SET secret = \(bind: try AESGCMSecretBox(key: Array(repeating: 9, count: 32)).seal(secret))
                    WHERE workspace_id = \(bind: workspaceId)
                    """).run()
            }
            let unreadable = try await http.get("/api/v1/webhooks/\(id)", key: key)
            #expect(unreadable.status == .serviceUnavailable && unreadable.text.contains("secret_unreadable"), "\(unreadable.text)")
            // The rest of the workspace is not held up by it: a change that queues an event to the endpoint is stored.
            let customer = try await http.call(.post, "/api/v1/customers", key: key, json: ["traits": ["plan": "pro"]])
            #expect(customer.status == .created, "\(customer.text)")
            // Rotating recovers it: a new secret (sealed under this server's key), no overlap with the unreadable one.
            let rotated = try await http.call(.post, "/api/v1/webhooks/\(id)/rotate-secret", key: key)
            #expect(rotated.status == .ok && rotated.json["previous_secret_expires_at"] is NSNull, "\(rotated.text)")
            let renewed = try #require(rotated.string("secret"))
            #expect(renewed != secret && renewed.hasPrefix("whsec_"))
            #expect(try await http.get("/api/v1/webhooks/\(id)", key: key).string("secret") == renewed)
            #expect(try await Self.stored(database, endpointRow)?.hasPrefix("v1.") == true)
            // Rotated again with an overlap: the previous secret is stored sealed too, and read back as it was.
            let again = try await http.call(.post, "/api/v1/webhooks/\(id)/rotate-secret", key: key)
            #expect(again.status == .ok && again.json["previous_secret_expires_at"] is String, "\(again.text)")
            let previousRow: SQLQueryString = "SELECT previous_secret AS secret FROM webhook_endpoints WHERE id = \(bind: id)"
            #expect(try await Self.stored(database, previousRow)?.hasPrefix("v1.") == true)
            let endpoint = try await services.core.store.read { try await $0.webhooks.find(workspaceId: workspaceId, id: id) }
            #expect(endpoint?.previousSecret == renewed)
            // And it can be deleted.
            #expect(try await http.call(.delete, "/api/v1/webhooks/\(id)", key: key).status == .noContent)
            #expect(try await http.get("/api/v1/webhooks/\(id)", key: key).status == .notFound)
        }
    }

    @Test func withoutAKeySecretsAreStoredAsTheyAre() async throws {
        try await TestApp.run(configure: { $0.secretKey = nil }) { http, services in
            let acme = try await Fixture.make(services)
            let made = try await http.call(.post, "/api/v1/webhooks", key: acme.adminKey,
                                           json: ["url": "https://93.184.216.34/hooks/rapport", "event_types": ["customer.created"]])
            let id = try #require(made.string("id")), secret = try #require(made.string("secret"))
            let row: SQLQueryString = "SELECT secret FROM webhook_endpoints WHERE workspace_id = \(bind: acme.workspace.id) AND id = \(bind: id)"
            #expect(try await Self.stored(services.database, row) == secret)
        }
    }
}
