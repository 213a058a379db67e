/// Who is calling, in which workspace, with which role: resolved once per request.
public struct Principal: Sendable, Equatable {
    public enum Caller: Sendable, Equatable {
        case user(User, session: Session)
        case apiKey(ApiKey)
    }

    public var caller: Caller
    public var workspace: Workspace
    public var role: Role
    /// A signed-in person's workspaces, when they were read with the session (a page's workspace switcher), so that
    /// a page costs one read of the database for both.
    public var memberships: [Membership]?

    public init(caller: Caller, workspace: Workspace, role: Role) {
        self.caller = caller
        self.workspace = workspace
        self.role = role
    }

    public var workspaceId: String { workspace.id }

    /// The audit log's view of the caller.
    public var actor: AuditActor {
        switch caller {
        case .user(let user, _): AuditActor(type: .user, id: user.id, label: user.email)
        case .apiKey(let key): AuditActor(type: .apiKey, id: key.id, label: key.name)
        }
    }

    public var user: User? {
        if case .user(let user, _) = caller { return user }
        return nil
    }

    public var session: Session? {
        if case .user(_, let session) = caller { return session }
        return nil
    }

    /// Throws `forbidden` unless the caller's role meets `least`.
    public func require(_ least: Role) throws(RapportError) {
        guard role.satisfies(least) else {
            throw .forbidden("This needs the \(least.rawValue) role or higher; you are \(role.rawValue).")
        }
    }
}
