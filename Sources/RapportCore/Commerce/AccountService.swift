/// Reads B2B accounts (companies) built from `group` calls.
public struct AccountService: Sendable {
    let deps: CoreDependencies

    public init(_ deps: CoreDependencies) { self.deps = deps }

    public func list(_ principal: Principal, page: PageRequest) async throws -> Page<Account> {
        try principal.require(Permission.readData.leastRole)
        let workspaceId = principal.workspaceId
        return try await deps.store.read { try await $0.accounts.list(workspaceId: workspaceId, page: page) }
    }

    /// An account and how many customers belong to it.
    public func get(_ principal: Principal, id: String) async throws -> (Account, Int) {
        try principal.require(Permission.readData.leastRole)
        let workspaceId = principal.workspaceId
        return try await deps.store.read { repos in
            guard let account = try await repos.accounts.find(workspaceId: workspaceId, id: id) else {
                throw RapportError.notFound("account")
            }
            return (account, try await repos.accounts.memberCount(workspaceId: workspaceId, accountId: id))
        }
    }
}
