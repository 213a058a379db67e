import Foundation
import RapportServer
import Hummingbird
import RapportCore
import RapportRuntime
import Testing

@Suite("Workspace isolation and roles")
struct TenancyAndRoleTests {
    @Test func anotherWorkspacesIdsAnswer404() async throws {
        try await TestApp.run { http, services in
            let a = try await Fixture.make(services, name: "Alpha", ownerEmail: "owner@alpha.test")
            let b = try await Fixture.make(services, name: "Beta", ownerEmail: "owner@beta.test")
            let bKeys = try await http.get("/api/v1/api-keys", key: b.adminKey)
            let bKeyId = try #require(bKeys.data.first?["id"] as? String)
            for path in ["/api/v1/users/\(b.ownerId)", "/api/v1/api-keys/\(bKeyId)", "/api/v1/workspaces/\(b.workspace.id)"] {
                let reply = try await http.get(path, key: a.adminKey)
                #expect(reply.status == .notFound, "\(path)")
                #expect(reply.errorCode == "not_found")
            }
            let renameOther = try await http.call(.patch, "/api/v1/workspaces/\(b.workspace.id)", key: a.adminKey,
                                                  json: ["name": "Hijacked"])
            #expect(renameOther.status == .notFound)
            let revokeOther = try await http.call(.delete, "/api/v1/api-keys/\(bKeyId)", key: a.adminKey)
            #expect(revokeOther.status == .notFound)
            #expect(try await http.get("/api/v1/me", key: b.adminKey).status == .ok)
            let users = try await http.get("/api/v1/users", key: a.adminKey)
            #expect(users.data.map { $0["email"] as? String } == ["owner@alpha.test"])
            let workspaces = try await http.get("/api/v1/workspaces", key: a.adminKey)
            #expect(workspaces.data.map { $0["name"] as? String } == ["Alpha"])
            let log = try await http.get("/api/v1/audit-log", key: a.adminKey)
            #expect(!log.data.contains { ($0["details"] as? [String: String])?["email"] == "owner@beta.test" })
        }
    }

    @Test func readKeyCannotWriteAndWriteKeyCannotManageKeys() async throws {
        try await TestApp.run { http, services in
            let fixture = try await Fixture.make(services)
            let read = try await fixture.key(services, scope: .read)
            let write = try await fixture.key(services, scope: .write)
            let byRead = try await http.call(.post, "/api/v1/api-keys", key: read, json: ["name": "x", "scope": "read"])
            #expect(byRead.status == .forbidden)
            #expect(byRead.errorCode == "forbidden")
            #expect(try await http.get("/api/v1/api-keys", key: write).status == .forbidden)
            #expect(try await http.get("/api/v1/audit-log", key: write).status == .forbidden)
            #expect(try await http.get("/api/v1/users", key: read).status == .ok)
            let addByWrite = try await http.call(.post, "/api/v1/users", key: write,
                                                 json: ["email": "x@acme.test", "role": "agent", "password": "long enough pw"])
            #expect(addByWrite.status == .forbidden)
        }
    }

    @Test func adminCannotGrantOwnerAndLastOwnerStays() async throws {
        try await TestApp.run { http, services in
            let fixture = try await Fixture.make(services)
            let grant = try await http.call(.post, "/api/v1/users", key: fixture.adminKey,
                                            json: ["email": "boss@acme.test", "role": "owner", "password": "long enough pw"])
            #expect(grant.status == .forbidden)
            let added = try await http.call(.post, "/api/v1/users", key: fixture.adminKey,
                                            json: ["email": "Agent@Acme.test", "role": "agent", "password": "long enough pw",
                                                   "name": "Ann Agent"])
            #expect(added.status == .created)
            #expect(added.string("email") == "agent@acme.test")
            #expect(added.json["last_login_at"] is NSNull)
            let again = try await http.call(.post, "/api/v1/users", key: fixture.adminKey,
                                            json: ["email": "agent@acme.test", "role": "agent"])
            #expect(again.status == .conflict)
            #expect(again.errorCode == "already_member")
            let id = try #require(added.string("id"))
            let promoted = try await http.call(.patch, "/api/v1/users/\(id)", key: fixture.adminKey, json: ["role": "admin"])
            #expect(promoted.status == .ok)
            #expect(promoted.string("role") == "admin")
            let demoteOwner = try await http.call(.patch, "/api/v1/users/\(fixture.ownerId)", key: fixture.adminKey,
                                                  json: ["role": "agent"])
            #expect(demoteOwner.status == .forbidden)

            // Even an owner cannot leave the workspace without an owner.
            let ownerPrincipal = Principal(caller: .apiKey(ApiKey(id: "k", workspaceId: fixture.workspace.id, name: "k",
                                                                  scope: .admin, prefix: "", secretHash: "", createdBy: nil,
                                                                  createdAt: 0)),
                                           workspace: fixture.workspace, role: .owner)
            await #expect(throws: RapportError.self) {
                _ = try await services.team.update(ownerPrincipal, userId: fixture.ownerId, role: .admin, name: .none)
            }
            await #expect(throws: RapportError.self) {
                try await services.team.remove(ownerPrincipal, userId: fixture.ownerId)
            }
            let still = try await http.get("/api/v1/users/\(fixture.ownerId)", key: fixture.adminKey)
            #expect(still.string("role") == "owner")
            let log = try await http.get("/api/v1/audit-log?action=member.role_changed", key: fixture.adminKey)
            #expect(log.data.count == 1)
            #expect((log.data.first?["details"] as? [String: String]) == ["from": "agent", "to": "admin"])
        }
    }

    @Test func workspaceRenameIsAuditedAndNamesAreUnique() async throws {
        try await TestApp.run { http, services in
            let a = try await Fixture.make(services, name: "Alpha", ownerEmail: "o@alpha.test")
            _ = try await Fixture.make(services, name: "Beta", ownerEmail: "o@beta.test")
            let clash = try await http.call(.patch, "/api/v1/workspaces/\(a.workspace.id)", key: a.adminKey, json: ["name": " beta "])
            #expect(clash.status == .conflict)
            #expect(clash.errorCode == "name_taken")
            let renamed = try await http.call(.patch, "/api/v1/workspaces/\(a.workspace.id)", key: a.adminKey,
                                              json: ["name": "Alpha Corp"])
            #expect(renamed.status == .ok)
            #expect(renamed.string("name") == "Alpha Corp")
            let byKey = try await http.call(.post, "/api/v1/workspaces", key: a.adminKey, json: ["name": "Gamma"])
            #expect(byKey.status == .forbidden)
            #expect(byKey.errorCode == "users_only")
        }
    }
}
