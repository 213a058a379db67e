/// Writes audit entries inside the transaction of the action they record.
public struct AuditLog: Sendable {
    let deps: CoreDependencies

    public init(_ deps: CoreDependencies) { self.deps = deps }

    /// Appends one entry; call it from inside the write that does the action.
    public func record(
        in repos: any Repositories, workspaceId: String, actor: AuditActor, action: AuditAction,
        targetType: String? = nil, targetId: String? = nil, ip: String? = nil, details: [String: String] = [:]
    ) async throws {
        try await repos.auditLog.append(AuditEntry(
            id: deps.ids.next(), workspaceId: workspaceId, occurredAt: deps.clock.nowMillis, actor: actor,
            action: action.rawValue, targetType: targetType, targetId: targetId, ip: ip, details: details
        ))
    }

    /// One page of a workspace's log, newest first; admins and owners only.
    public func list(_ principal: Principal, action: String?, page: PageRequest) async throws -> Page<AuditEntry> {
        try principal.require(Permission.readAuditLog.leastRole)
        let workspaceId = principal.workspaceId
        return try await deps.store.read { try await $0.auditLog.list(workspaceId: workspaceId, action: action, page: page) }
    }
}
