import Hummingbird
import RapportCore

extension APIRoutes {
    /// `/users`: the members of the caller's workspace.
    func addTeamRoutes(team: TeamService) {
        get("users", least: .analyst) { request, _, principal in
            JSONResponse.page(try await team.list(principal, page: try request.pageRequest())) { $0.json }
        }

        post("users", least: .admin) { request, context, principal in
            let body = try await JSONBody.read(request, context: context, allowed: ["email", "role", "name", "password"])
            let role = try Validation.oneOf(try body.string("role"), field: "role", as: Role.self)
            let member = try await team.add(principal, workspaceId: principal.workspaceId,
                                                     email: try body.string("email"), role: role,
                                                     name: try body.optionalString("name"),
                                                     password: try body.optionalString("password"), ip: context.remoteIP)
            return JSONResponse.make(member.json, status: .created)
        }

        get("users/:user_id", least: .analyst) { _, context, principal in
            JSONResponse.make(try await team.get(principal, userId: try context.id("user_id", of: "user")).json)
        }

        patch("users/:user_id", least: .admin) { request, context, principal in
            let id = try context.id("user_id", of: "user")
            let body = try await JSONBody.read(request, context: context, allowed: ["role", "name"])
            let role = try body.has("role")
                ? Validation.oneOf(try body.string("role"), field: "role", as: Role.self) : nil
            let name: String?? = body.has("name") ? .some(try body.optionalString("name")) : .none
            let member = try await team.update(principal, userId: id, role: role, name: name, ip: context.remoteIP)
            return JSONResponse.make(member.json)
        }

        delete("users/:user_id", least: .admin) { _, context, principal in
            try await team.remove(principal, userId: try context.id("user_id", of: "user"), ip: context.remoteIP)
            return JSONResponse.noContent
        }
    }

    /// `/api-keys` and `/audit-log`.
    func addSecurityRoutes(apiKeys: ApiKeyService, audit: AuditLog) {
        get("api-keys", least: .admin) { request, _, principal in
            JSONResponse.page(try await apiKeys.list(principal, page: try request.pageRequest())) { $0.json }
        }

        post("api-keys", least: .admin) { request, context, principal in
            let body = try await JSONBody.read(request, context: context, allowed: ["name", "scope"])
            let scope = try Validation.oneOf(try body.string("scope"), field: "scope", as: ApiKeyScope.self)
            let (key, secret) = try await apiKeys.create(principal, workspaceId: principal.workspaceId,
                                                                  name: try body.string("name"), scope: scope,
                                                                  ip: context.remoteIP)
            return JSONResponse.make(key.jsonWithSecret(secret), status: .created)
        }

        get("api-keys/:key_id", least: .admin) { _, context, principal in
            JSONResponse.make(try await apiKeys.get(principal, id: try context.id("key_id", of: "API key")).json)
        }

        delete("api-keys/:key_id", least: .admin) { _, context, principal in
            try await apiKeys.revoke(principal, id: try context.id("key_id", of: "API key"), ip: context.remoteIP)
            return JSONResponse.noContent
        }

        get("audit-log", least: .admin) { request, _, principal in
            let action = request.uri.queryParameters.get("action").flatMap { $0.isEmpty ? nil : $0 }
            let page = try await audit.list(principal, action: action, page: try request.pageRequest())
            return JSONResponse.page(page) { $0.json }
        }
    }
}
