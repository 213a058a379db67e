import Hummingbird
import RapportCore

extension APIRoutes {
    /// `GET /me`, `/workspaces…`
    func addAccountRoutes(access: AccessService, workspaces: WorkspaceService) {
        get("me", least: .analyst) { _, _, principal in JSONResponse.make(principal.json) }

        get("workspaces", least: .analyst) { request, _, principal in
            let page = try request.pageRequest()
            let all = try await access.memberships(of: principal).map(\.workspace).sorted { $0.id > $1.id }
            let after = all.filter { page.after == nil || $0.id < page.after! }
            return JSONResponse.page(Page(fetched: Array(after.prefix(page.limit + 1)), limit: page.limit) { $0.id }) { $0.json }
        }

        post("workspaces", least: .analyst) { request, context, principal in
            let body = try await JSONBody.read(request, context: context, allowed: ["name"])
            let workspace = try await workspaces.create(name: try body.string("name"), creator: principal,
                                                                 ip: context.remoteIP)
            return JSONResponse.make(workspace.json, status: .created)
        }

        get("workspaces/:workspace_id", least: .analyst) { _, context, principal in
            let id = try context.id("workspace_id", of: "workspace")
            return JSONResponse.make(try await workspaces.get(principal, id: id).json)
        }

        patch("workspaces/:workspace_id", least: .analyst) { request, context, principal in
            let id = try context.id("workspace_id", of: "workspace")
            let body = try await JSONBody.read(request, context: context, allowed: ["name", "time_zone", "brand_color"])
            guard body.has("name") || body.has("time_zone") || body.has("brand_color") else {
                throw RapportError.invalid("name", "Give a name, a time_zone, a brand_color or several.")
            }
            let workspace = try await workspaces.update(
                principal, id: id, name: body.has("name") ? try body.string("name") : nil,
                timeZone: body.has("time_zone") ? try body.string("time_zone") : nil,
                brandColor: body.has("brand_color") ? .some(try body.optionalString("brand_color")) : nil, ip: context.remoteIP)
            return JSONResponse.make(workspace.json)
        }
    }
}
