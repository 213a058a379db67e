import Foundation

/// Creates, finds and renames workspaces, and sets up the first owner.
public struct WorkspaceService: Sendable {
    let deps: CoreDependencies
    let audit: AuditLog

    public init(_ deps: CoreDependencies) {
        self.deps = deps
        self.audit = AuditLog(deps)
    }

    /// True until the first user exists; `/setup` is offered only then.
    public func needsSetup() async throws -> Bool {
        try await deps.store.read { try await $0.users.count() } == 0
    }

    /// Creates the first workspace and its owner. Refused once any user exists.
    public func setUp(workspaceName: String, ownerEmail: String, ownerName: String?, password: String,
                      ip: String? = nil) async throws -> (Workspace, User) {
        let name = try Validation.name(workspaceName, field: "workspace")
        let email = try Validation.email(ownerEmail)
        let personName = try ownerName.flatMap { $0.trimmed.isEmpty ? nil : $0 }
            .map { raw throws(RapportError) in try Validation.name(raw, field: "name") }
        let password = try Validation.password(password)
        let hash = try await deps.passwords.hash(password)
        let now = deps.clock.nowMillis
        let workspace = Workspace(id: deps.ids.next(), name: name, createdAt: now)
        let user = User(id: deps.ids.next(), email: email, name: personName, passwordHash: hash, createdAt: now)
        try await deps.store.write { repos in
            guard try await repos.users.count() == 0 else {
                throw RapportError(.conflict, code: "conflict", message: "Rapport is already set up; sign in instead.")
            }
            try await repos.workspaces.insert(workspace)
            try await repos.users.insert(user)
            try await repos.memberships.add(workspaceId: workspace.id, userId: user.id, role: .owner, at: now)
            let actor = AuditActor(type: .user, id: user.id, label: user.email)
            try await audit.record(in: repos, workspaceId: workspace.id, actor: actor, action: .setupCompleted,
                                   targetType: "workspace", targetId: workspace.id, ip: ip, details: ["name": name])
        }
        return (workspace, user)
    }

    /// Creates a workspace; a signed-in creator becomes its owner (the CLI passes no creator).
    public func create(name rawName: String, creator: Principal?, ip: String? = nil) async throws -> Workspace {
        if let creator, creator.user == nil {
            throw RapportError(.forbidden, code: "users_only",
                               message: "Only a signed-in person can create a workspace; API keys belong to one workspace.")
        }
        let name = try Validation.name(rawName)
        let now = deps.clock.nowMillis
        let workspace = Workspace(id: deps.ids.next(), name: name, createdAt: now)
        try await deps.store.write { repos in
            guard try await repos.workspaces.find(name: name) == nil else { throw Self.nameTaken(name) }
            try await repos.workspaces.insert(workspace)
            if let user = creator?.user {
                try await repos.memberships.add(workspaceId: workspace.id, userId: user.id, role: .owner, at: now)
            }
            try await audit.record(in: repos, workspaceId: workspace.id, actor: creator?.actor ?? .system,
                                   action: .workspaceCreated, targetType: "workspace", targetId: workspace.id,
                                   ip: ip, details: ["name": name])
        }
        return workspace
    }

    /// A workspace the caller can see, else `not_found`.
    public func get(_ principal: Principal, id: String) async throws -> Workspace {
        let (workspace, _) = try await visible(principal, id: id)
        return workspace
    }

    /// Renames a workspace in which the caller is admin or owner.
    public func rename(_ principal: Principal, id: String, to rawName: String, ip: String? = nil) async throws -> Workspace {
        let (workspace, role) = try await visible(principal, id: id)
        guard role.satisfies(Permission.manageWorkspace.leastRole) else {
            throw RapportError.forbidden("Renaming a workspace needs the admin role or higher.")
        }
        let name = try Validation.name(rawName)
        try await deps.store.write { repos in
            if let other = try await repos.workspaces.find(name: name), other.id != id { throw Self.nameTaken(name) }
            try await repos.workspaces.rename(id: id, to: name)
            try await audit.record(in: repos, workspaceId: id, actor: principal.actor, action: .workspaceRenamed,
                                   targetType: "workspace", targetId: id, ip: ip,
                                   details: ["from": workspace.name, "to": name])
        }
        deps.apiKeys.forget(workspaceId: id)
        var renamed = workspace
        renamed.name = name
        return renamed
    }

    /// Renames the workspace, sets its time zone and/or its brand colour (nil: unchanged; `.some(nil)`: the colour
    /// cleared). The zone and the colour are checked before anything is saved, so a bad one does not leave a renamed
    /// workspace behind.
    public func update(_ principal: Principal, id: String, name: String?, timeZone: String?, brandColor: String?? = nil,
                       ip: String? = nil) async throws -> Workspace {
        let zone = try timeZone.map { zone throws(RapportError) in try Workspace.validTimeZone(zone) }
        var color: BrandColor??
        if let brandColor { color = .some(try brandColor.map { try BrandColor($0) }) }
        var workspace = try await get(principal, id: id)
        if let name { workspace = try await rename(principal, id: id, to: name, ip: ip) }
        if let zone { workspace = try await changeTimeZone(principal, id: id, to: zone, ip: ip) }
        if let color { workspace = try await changeBrandColor(principal, id: id, to: color, ip: ip) }
        return workspace
    }

    /// Sets (nil: clears) the colour of the hosted survey page and of invitation emails (admin or owner), audit-logged.
    public func changeBrandColor(_ principal: Principal, id: String, to color: BrandColor?, ip: String? = nil) async throws
        -> Workspace {
        let (workspace, role) = try await visible(principal, id: id)
        guard role.satisfies(Permission.manageWorkspace.leastRole) else {
            throw RapportError.forbidden("Changing a workspace's brand colour needs the admin role or higher.")
        }
        guard workspace.brandColor != color else { return workspace }
        let workspaceId = workspace.id
        try await deps.store.write { repos in
            try await repos.workspaces.setBrandColor(id: workspaceId, to: color)
            try await audit.record(in: repos, workspaceId: workspaceId, actor: principal.actor,
                                   action: .workspaceBrandColorChanged, targetType: "workspace", targetId: workspaceId,
                                   ip: ip, details: ["from": workspace.brandColor?.hex ?? "none", "to": color?.hex ?? "none"])
        }
        deps.apiKeys.forget(workspaceId: workspaceId)
        var changed = workspace
        changed.brandColor = color
        return changed
    }

    /// Sets the IANA time zone in which the workspace's schedules run (admin or owner), audit-logged. Schedules that
    /// follow the workspace's zone are moved to their next time in the new zone in the same transaction.
    public func changeTimeZone(_ principal: Principal, id: String, to rawZone: String, ip: String? = nil) async throws
        -> Workspace {
        let (workspace, role) = try await visible(principal, id: id)
        guard role.satisfies(Permission.manageWorkspace.leastRole) else {
            throw RapportError.forbidden("Changing a workspace's time zone needs the admin role or higher.")
        }
        let zone = try Workspace.validTimeZone(rawZone)
        let now = deps.clock.nowMillis
        let workspaceId = workspace.id
        try await deps.store.write { repos in
            try await repos.workspaces.setTimeZone(id: workspaceId, to: zone)
            for schedule in try await repos.schedules.list(workspaceId: workspaceId)
            where schedule.timeZone == nil && schedule.enabled {
                // An expression that cannot be evaluated stays as it is; the scheduler disables it when it is due.
                guard let next = try? Schedule.nextRun(cron: schedule.cron, zone: zone, after: now) else { continue }
                try await repos.schedules.setNextRun(id: schedule.id, at: next, now: now)
            }
            try await audit.record(in: repos, workspaceId: workspaceId, actor: principal.actor,
                                   action: .workspaceTimeZoneChanged, targetType: "workspace", targetId: workspaceId,
                                   ip: ip, details: ["from": workspace.timeZone, "to": zone])
        }
        deps.apiKeys.forget(workspaceId: workspaceId)
        var changed = workspace
        changed.timeZone = zone
        return changed
    }

    /// Finds a workspace by name, for the CLI.
    public func find(name: String) async throws -> Workspace {
        guard let workspace = try await deps.store.read({ try await $0.workspaces.find(name: name) }) else {
            throw RapportError(.notFound, code: "not_found", message: "No workspace is named \"\(name)\".")
        }
        return workspace
    }

    private func visible(_ principal: Principal, id: String) async throws -> (Workspace, Role) {
        let lowered = id.lowercased()
        if lowered == principal.workspaceId { return (principal.workspace, principal.role) }
        guard let user = principal.user else { throw RapportError.notFound("workspace") }
        let found = try await deps.store.read { repos -> (Workspace, Role)? in
            guard let member = try await repos.memberships.member(workspaceId: lowered, userId: user.id),
                  let workspace = try await repos.workspaces.find(id: lowered) else { return nil }
            return (workspace, member.role)
        }
        guard let found else { throw RapportError.notFound("workspace") }
        return found
    }

    static func nameTaken(_ name: String) -> RapportError {
        RapportError(.conflict, code: "name_taken", message: "A workspace named \"\(name)\" already exists.",
                     details: ["field": "name"])
    }
}
