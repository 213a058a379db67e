import Hummingbird
import RapportCore

extension APIRoutes {
    /// `/teams…`: teams of members; read by every member, changed by admins.
    func addAgentTeamRoutes(teams: AgentTeamService) {
        get("teams", least: Permission.readData.leastRole) { _, _, principal in
            let list = try await teams.list(principal)
            return JSONResponse.make(["data": .array(list.map(\.json))])
        }

        post("teams", least: .admin) { request, context, principal in
            let body = try await JSONBody.read(request, context: context, allowed: AgentTeamService.fields)
            return JSONResponse.make(try await teams.create(principal, fields: body.fields, ip: context.remoteIP).json, status: .created)
        }

        get("teams/:team_id", least: Permission.readData.leastRole) { _, context, principal in
            JSONResponse.make(try await teams.get(principal, id: try context.id("team_id", of: "team")).json)
        }

        patch("teams/:team_id", least: .admin) { request, context, principal in
            let id = try context.id("team_id", of: "team")
            let body = try await JSONBody.read(request, context: context, allowed: AgentTeamService.fields)
            return JSONResponse.make(try await teams.update(principal, id: id, fields: body.fields, ip: context.remoteIP).json)
        }

        delete("teams/:team_id", least: .admin) { _, context, principal in
            try await teams.delete(principal, id: try context.id("team_id", of: "team"), ip: context.remoteIP)
            return JSONResponse.noContent
        }
    }
}

extension AgentTeam {
    var json: JSONValue {
        ["id": .string(id), "name": .string(name), "member_ids": .array(memberIds.map { .string($0) }),
         "created_at": .string(Timestamp.iso8601(createdAt)), "updated_at": .string(Timestamp.iso8601(updatedAt))]
    }
}
