import Hummingbird
import RapportCore
import RapportWeb

/// The workspace's settings: team, API keys, audit log. Mounted on the session group.
struct SettingsPages: Sendable {
    let workspaces: WorkspaceService
    let team: TeamService
    let agentTeams: AgentTeamService
    let apiKeys: ApiKeyService
    let audit: AuditLog
    let clock: WallClock
    /// Where sites and clients reach this server, for the new key's examples.
    let publicURL: String
    let pages: PageResponder

    func add(to group: RouterGroup<AppRequestContext>) {
        group.get("/settings/team") { _, context in try await teamPage(try context.requirePrincipal(), error: nil) }
        group.post("/settings/team") { request, context in try await addMember(request, context) }
        group.post("/settings/teams") { request, context in try await saveTeam(request, context, id: nil) }
        group.post("/settings/teams/:team_id") { request, context in
            try await saveTeam(request, context, id: try context.id("team_id", of: "team"))
        }
        group.post("/settings/teams/:team_id/delete") { request, context in
            let (principal, _) = try await context.signedInForm(request)
            try await agentTeams.delete(principal, id: try context.id("team_id", of: "team"), ip: context.remoteIP)
            return try await teamPage(principal, error: nil, flash: "The team is deleted.")
        }
        group.get("/settings/api-keys") { _, context in
            try await apiKeysPage(try context.requirePrincipal(), newSecret: nil, error: nil)
        }
        group.post("/settings/api-keys") { request, context in try await createKey(request, context) }
        group.post("/settings/api-keys/:key_id/revoke") { request, context in try await revokeKey(request, context) }
        group.get("/settings/workspace") { request, context in
            let principal = try context.requirePrincipal()
            let flash = request.uri.queryParameters.get("done") == "saved" ? "Saved." : nil
            return try await workspacePage(principal, error: nil, flash: flash)
        }
        group.post("/settings/workspace") { request, context in try await saveWorkspace(request, context) }
        group.get("/settings/audit-log") { request, context in try await auditPage(try context.requirePrincipal(), request) }
    }

    private func teamPage(_ principal: Principal, error: String?, flash: String? = nil,
                          status: HTTPResponse.Status = .ok) async throws -> Response {
        let members = try await team.list(principal, page: PageRequest(limit: PageRequest.maxLimit))
        let page = TeamPage(members: members.items, teams: try await agentTeams.list(principal), error: error, flash: flash,
                            timeZone: principal.displayZone)
        return try await pages.html(page, for: principal, status: status)
    }

    /// Creates a team (`id` nil) or renames and restaffs one: the form's `member_ids` checkboxes are the whole list.
    private func saveTeam(_ request: Request, _ context: AppRequestContext, id: String?) async throws -> Response {
        let (principal, form) = try await context.signedInForm(request)
        let fields: [String: JSONValue] = ["name": .string(form["name"] ?? ""),
                                           "member_ids": .array((form.lists["member_ids"] ?? []).map { .string($0) })]
        do {
            let saved = id == nil ? try await agentTeams.create(principal, fields: fields, ip: context.remoteIP)
                : try await agentTeams.update(principal, id: id ?? "", fields: fields, ip: context.remoteIP)
            return try await teamPage(principal, error: nil, flash: "The team \(saved.name) is saved.")
        } catch let error as RapportError where [.validation, .conflict].contains(error.kind) {
            return try await teamPage(principal, error: error.message, status: error.kind.status)
        }
    }

    private func addMember(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (principal, form) = try await context.signedInForm(request)
        do {
            let role = try Validation.oneOf(form["role"], field: "role", as: Role.self)
            let password = form["password"].flatMap { $0.isEmpty ? nil : $0 }
            let name = form["name"].flatMap { $0.trimmed.isEmpty ? nil : $0 }
            let member = try await team.add(principal, workspaceId: principal.workspaceId, email: form["email"] ?? "",
                                            role: role, name: name, password: password, ip: context.remoteIP)
            return try await teamPage(principal, error: nil, flash: "\(member.user.email) was added as \(role.rawValue).")
        } catch let error as RapportError where [.validation, .conflict, .forbidden].contains(error.kind) {
            return try await teamPage(principal, error: error.message, status: error.kind.status)
        }
    }

    private func apiKeysPage(_ principal: Principal, newSecret: String?, newScope: ApiKeyScope? = nil, error: String?,
                             status: HTTPResponse.Status = .ok) async throws -> Response {
        let keys = try await apiKeys.list(principal, page: PageRequest(limit: PageRequest.maxLimit))
        let page = ApiKeysPage(keys: keys.items, newSecret: newSecret, newScope: newScope, publicURL: publicURL, error: error,
                               timeZone: principal.displayZone)
        return try await pages.html(page, for: principal, status: status)
    }

    private func createKey(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (principal, form) = try await context.signedInForm(request)
        do {
            let scope = try Validation.oneOf(form["scope"], field: "scope", as: ApiKeyScope.self)
            let (_, secret) = try await apiKeys.create(principal, workspaceId: principal.workspaceId, name: form["name"] ?? "",
                                                       scope: scope, ip: context.remoteIP)
            return try await apiKeysPage(principal, newSecret: secret, newScope: scope, error: nil, status: .created)
        } catch let error as RapportError where error.kind == .validation {
            return try await apiKeysPage(principal, newSecret: nil, error: error.message, status: .unprocessableContent)
        }
    }

    private func revokeKey(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (principal, _) = try await context.signedInForm(request)
        try await apiKeys.revoke(principal, id: try context.id("key_id", of: "API key"), ip: context.remoteIP)
        return Redirect.to(WebURL.apiKeys)
    }

    private func workspacePage(_ principal: Principal, error: String?, flash: String?, status: HTTPResponse.Status = .ok,
                               brandColor: String? = nil) async throws -> Response {
        let workspace = try await workspaces.get(principal, id: principal.workspaceId)
        let page = WorkspaceSettingsPage(workspace: workspace, nowMillis: clock.nowMillis,
                                         canEdit: principal.role.satisfies(Permission.manageWorkspace.leastRole),
                                         error: error, flash: flash, brandColor: brandColor)
        return try await pages.html(page, for: principal, status: status)
    }

    /// Saves the name, the time zone and the brand colour (empty: none); the zone and the colour are checked before
    /// anything is saved.
    private func saveWorkspace(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (principal, form) = try await context.signedInForm(request)
        let typedColor = form["brand_color"]?.trimmed
        do {
            let current = try await workspaces.get(principal, id: principal.workspaceId)
            let zone = form["time_zone"] ?? ""
            // Only what changed is saved (and audited).
            var color: String??
            if let typedColor, typedColor.lowercased() != (current.brandColor?.hex ?? "") {
                color = .some(typedColor.isEmpty ? nil : typedColor)
            }
            _ = try await workspaces.update(principal, id: current.id,
                                            name: form["name"].flatMap { $0.trimmed == current.name ? nil : $0 },
                                            timeZone: zone.trimmed == current.timeZone ? nil : zone, brandColor: color,
                                            ip: context.remoteIP)
            return Redirect.to(WebURL.workspaceSettings + "?done=saved")
        } catch let error as RapportError where [.validation, .conflict, .forbidden].contains(error.kind) {
            return try await workspacePage(principal, error: error.message, flash: nil, status: error.kind.status,
                                           brandColor: typedColor)
        }
    }

    private func auditPage(_ principal: Principal, _ request: Request) async throws -> Response {
        let entries = try await audit.list(principal, action: nil, page: try request.pageRequest())
        return try await pages.html(AuditLogPage(entries: entries, timeZone: principal.displayZone), for: principal)
    }
}
