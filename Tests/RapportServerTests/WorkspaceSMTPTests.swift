import Foundation
import Hummingbird
import RapportCore
import RapportMail
import RapportRuntime
import RapportStore
import RapportWeb
import SQLKit
import Testing

/// A workspace's own SMTP server: the password sealed under the server's key and never shown, validation, roles,
/// the private-network guard, and that email can be queued with only a workspace server configured.
@Suite("Workspace SMTP server")
struct WorkspaceSMTPTests {
    static let key = Array(repeating: UInt8(7), count: 32)

    @Test func sealedSecretsOpenOnlyUnderTheirKey() throws {
        let box = AESGCMSecretBox(key: Self.key)
        let sealed = try box.seal("s3cret pass:wörd")
        #expect(sealed.hasPrefix("v1.") && !sealed.contains("s3cret"))
        #expect(try box.open(sealed) == "s3cret pass:wörd")
        #expect(try box.seal("same") != box.seal("same"), "a fresh nonce each time")
        #expect(throws: (any Error).self) { try AESGCMSecretBox(key: Array(repeating: 8, count: 32)).open(sealed) }
        var tampered = Array(sealed)
        tampered[tampered.count - 3] = tampered[tampered.count - 3] == "A" ? "B" : "A"
        #expect(throws: (any Error).self) { try box.open(String(tampered)) }
    }

    @Test func theWorkspaceServerIsSavedWithItsPasswordSealedAndNeverShown() async throws {
        try await TestApp.run(configure: { $0.secretKey = Self.key; $0.webhookAllowPrivateNetworks = true }) { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            let none = try await http.get("/api/v1/email/smtp", key: key)
            #expect(none.string("source") == "none" && none.json["can_store_passwords"] as? Bool == true, "\(none.text)")
            // Without any SMTP server nothing can be queued.
            #expect(try await http.call(.post, "/api/v1/emails", key: key,
                                        json: ["to": "a@b.example", "subject": "Hi", "text": "Yo"]).errorCode == "email_not_configured")

            let saved = try await http.call(.put, "/api/v1/email/smtp", key: key, json: [
                "host": "SMTP.Acme.Example", "username": "mailer", "password": "hunter2 hunter2", "from": "Acme <support@acme.example>"])
            #expect(saved.status == .ok, "\(saved.text)")
            #expect(saved.string("source") == "workspace")
            #expect(saved.string("host") == "smtp.acme.example")
            #expect(saved.json["port"] as? Int == 587 && saved.string("security") == "starttls")
            #expect(saved.json["password_set"] as? Bool == true)
            #expect(!saved.text.contains("hunter2"))
            let stored = try await services.database.read { db in
                try await db.raw("SELECT sealed_password FROM workspace_smtp_settings").first()?.decode(column: "sealed_password", as: String.self)
            }
            #expect(stored?.hasPrefix("v1.") == true && stored?.contains("hunter2") == false)
            let transport = try #require(try await services.smtpSettings.transport(workspaceId: acme.workspace.id))
            #expect(transport.password == "hunter2 hunter2" && transport.username == "mailer")
            #expect(transport.from?.address == "support@acme.example")

            // Saving again without a password keeps it; a new user name needs its own.
            let kept = try await http.call(.put, "/api/v1/email/smtp", key: key, json: [
                "host": "smtp.acme.example", "port": 2525, "username": "mailer", "from": "support@acme.example"])
            #expect(kept.json["password_set"] as? Bool == true && kept.json["port"] as? Int == 2525, "\(kept.text)")
            let renamed = try await http.call(.put, "/api/v1/email/smtp", key: key, json: [
                "host": "smtp.acme.example", "username": "other", "from": "support@acme.example"])
            #expect(renamed.status == .unprocessableContent)

            // With only the workspace's server, email is queued.
            let queued = try await http.call(.post, "/api/v1/emails", key: key, json: ["to": "a@b.example", "subject": "Hi", "text": "Yo"])
            #expect(queued.status == .accepted, "\(queued.text)")

            let other = try await Fixture.make(services, name: "Other", ownerEmail: "owner@other.test")
            #expect(try await http.get("/api/v1/email/smtp", key: other.adminKey).string("source") == "none")
            #expect(try await services.smtpSettings.transport(workspaceId: other.workspace.id) == nil)

            #expect(try await http.call(.delete, "/api/v1/email/smtp", key: key).status == .noContent)
            #expect(try await http.call(.delete, "/api/v1/email/smtp", key: key).status == .notFound)
            let actions = try await http.get("/api/v1/audit-log", key: key).data.compactMap { $0["action"] as? String }
            #expect(actions.contains("email_smtp.updated") && actions.contains("email_smtp.removed"))
        }
    }

    @Test func badSettingsNameTheFieldAndOnlyAdminsChangeThem() async throws {
        try await TestApp.run(configure: { $0.secretKey = Self.key }) { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            for (body, field) in [
                (["host": "", "from": "a@b.example"] as [String: Any], "host"),
                (["host": "smtp example.com", "from": "a@b.example"], "host"),
                (["host": "93.184.216.34", "from": "not an address"], "from"),
                (["host": "93.184.216.34", "from": "a@b.example", "port": 70000], "port"),
                (["host": "93.184.216.34", "from": "a@b.example", "security": "ssl"], "security"),
                (["host": "93.184.216.34", "from": "a@b.example", "username": "u"], "password"),
                (["host": "93.184.216.34", "from": "a@b.example", "password": "p"], "username"),
                (["host": "93.184.216.34", "from": "a@b.example", "username": "u", "password": "p", "security": "none"], "security"),
                // The server's own network is refused by default, as for webhooks.
                (["host": "127.0.0.1", "from": "a@b.example"], "host"),
                (["host": "10.0.0.8", "port": 25, "from": "a@b.example"], "host"),
            ] {
                let reply = try await http.call(.put, "/api/v1/email/smtp", key: key, json: body)
                #expect(reply.status == .unprocessableContent, "\(body): \(reply.text)")
                #expect((reply.json["error"] as? [String: Any]).flatMap { ($0["details"] as? [String: Any])?["field"] as? String } == field,
                        "\(body): \(reply.text)")
            }
            let writer = try await acme.key(services, scope: .write)
            #expect(try await http.get("/api/v1/email/smtp", key: writer).status == .forbidden)
            #expect(try await http.call(.put, "/api/v1/email/smtp", key: writer,
                                        json: ["host": "93.184.216.34", "from": "a@b.example"]).status == .forbidden)
        }
    }

    @Test func withoutASecretKeyNoPasswordIsStored() async throws {
        try await TestApp.run(configure: { $0.secretKey = nil }) { http, services in
            let acme = try await Fixture.make(services)
            let reply = try await http.call(.put, "/api/v1/email/smtp", key: acme.adminKey, json: [
                "host": "93.184.216.34", "username": "u", "password": "p", "from": "a@b.example"])
            #expect(reply.status == .conflict)
            #expect(reply.errorCode == "secret_key_missing")
            // A server without credentials needs no key.
            let open = try await http.call(.put, "/api/v1/email/smtp", key: acme.adminKey, json: [
                "host": "93.184.216.34", "from": "a@b.example"])
            #expect(open.status == .ok, "\(open.text)")
        }
    }

    @Test func aPasswordSealedUnderAnotherKeyIsShownAsUnreadableNotAsNoServer() async throws {
        try await TestApp.run(configure: { $0.secretKey = Self.key }) { http, services in
            let acme = try await Fixture.make(services)
            let saved = try await http.call(.put, "/api/v1/email/smtp", key: acme.adminKey, json: [
                "host": "93.184.216.34", "username": "mailer", "password": "hunter2", "from": "Acme <support@acme.example>"])
            #expect(saved.status == .ok, "\(saved.text)")
            let owner = try #require(try await services.core.store.read { try await $0.users.find(id: acme.ownerId) })
            let session = Session(tokenHash: "t", userId: owner.id, workspaceId: acme.workspace.id, csrfToken: "c", createdAt: 0,
                                  expiresAt: .max)
            let principal = Principal(caller: .user(owner, session: session), workspace: acme.workspace, role: .owner)

            let same = try await services.smtpSettings.view(principal)
            #expect(same.server == "smtp://mailer:***@93.184.216.34:587?security=starttls" && !same.passwordUnreadable)
            // The server restarted with another SECRET_KEY: the settings are still the workspace's, the password is not
            // readable, and the page says so instead of "no SMTP server".
            let rekeyed = WorkspaceSMTPService(services.core, serverSMTP: nil, box: AESGCMSecretBox(key: Array(repeating: 9, count: 32)),
                                               urlGuard: services.urlGuard)
            let view = try await rekeyed.view(principal)
            #expect(view.source == .workspace && view.server != nil && view.passwordUnreadable)
            let page = EmailSettingsPage(server: view.server, sender: view.from, passwordUnreadable: view.passwordUnreadable,
                                         smtp: .init(source: view.source.rawValue, host: view.host, port: view.port, security: view.security,
                                                     username: view.username, passwordSet: view.passwordSet, from: view.from,
                                                     canStorePasswords: view.canStorePasswords),
                                         ratePerMinute: 60, emails: [], suppressions: [], templates: [], error: nil, flash: nil)
            let html = try await WebRenderer.load().render(page)
            #expect(html.contains("cannot be opened with this server") && !html.contains("No SMTP server is configured"))
        }
    }

    @Test func aLocalInstallationKeepsItsKeyBesideTheDatabase() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rapport-key-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var config = AppConfig()
        config.database = .sqlite(path: folder.appendingPathComponent("rapport.sqlite").path)
        try config.loadLocalSecretKey()
        let first = try #require(config.secretKey)
        #expect(first.count == 32)
        let file = folder.appendingPathComponent("secret.key").path
        let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        var again = AppConfig()
        again.database = config.database
        try again.loadLocalSecretKey()
        #expect(again.secretKey == first, "the same key on the next start")
    }
}
