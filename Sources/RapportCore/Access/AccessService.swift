import Foundation

/// Settings of sign-in and sessions.
public struct AccessPolicy: Sendable, Equatable {
    public var sessionTTLMillis: Int64
    public var maxLoginFailures: Int
    public var lockoutMillis: Int64
    /// `last_used_at` of an API key is written at most this often, so reads stay reads.
    public var keyUsageResolutionMillis: Int64

    public init(sessionTTLHours: Int = 12, maxLoginFailures: Int = 5, lockoutMinutes: Int = 15,
                keyUsageResolutionSeconds: Int = 60) {
        self.sessionTTLMillis = Int64(sessionTTLHours) * 3_600_000
        self.maxLoginFailures = maxLoginFailures
        self.lockoutMillis = Int64(lockoutMinutes) * 60_000
        self.keyUsageResolutionMillis = Int64(keyUsageResolutionSeconds) * 1000
    }
}

/// A signed-in session: the cookie token (shown once) and the stored session.
public struct SignedInSession: Sendable {
    public var token: String
    public var session: Session
}

/// Authenticates API keys and sessions, signs people in and out.
public struct AccessService: Sendable {
    let deps: CoreDependencies
    let policy: AccessPolicy
    let audit: AuditLog

    public init(_ deps: CoreDependencies, policy: AccessPolicy) {
        self.deps = deps
        self.policy = policy
        self.audit = AuditLog(deps)
    }

    /// The principal of a REST API key; unknown or revoked keys are `unauthenticated`, tracking keys refused.
    public func authenticate(apiKey secret: String) async throws -> Principal {
        let (key, workspace) = try await liveKey(secret, unknown: RapportError.unauthenticated)
        guard let role = key.scope.actingRole else {
            throw RapportError(.forbidden, code: "insufficient_scope",
                               message: "A track key only sends events to the tracking API; use a read, write or admin key here.")
        }
        try await recordUse(of: key)
        return Principal(caller: .apiKey(key), workspace: workspace, role: role)
    }

    /// The workspace of a tracking (`track` scope) write key; other keys and unknown or revoked ones are refused.
    public func authenticate(writeKey secret: String) async throws -> (ApiKey, Workspace) {
        let found = try await liveKey(secret, unknown: RapportError(
            .unauthenticated, code: "unauthenticated",
            message: "Send a track key as the HTTP Basic user name (Segment's write key convention)."))
        guard found.0.scope == .track else {
            throw RapportError(.forbidden, code: "insufficient_scope", message: "The tracking API takes keys of scope track.")
        }
        try await recordUse(of: found.0)
        return found
    }

    /// The key with this secret and its workspace; `unknown` when there is none or it is revoked.
    private func liveKey(_ secret: String, unknown: RapportError) async throws -> (ApiKey, Workspace) {
        let hash = deps.digest.digest(secret)
        if let cached = deps.apiKeys.find(secretHash: hash) { return cached }
        let found = try await deps.store.read { repos -> (ApiKey, Workspace)? in
            guard let key = try await repos.apiKeys.find(secretHash: hash),
                  let workspace = try await repos.workspaces.find(id: key.workspaceId) else { return nil }
            return (key, workspace)
        }
        guard let found, !found.0.isRevoked else { throw unknown }
        deps.apiKeys.remember(found.0, found.1)
        return found
    }

    /// Writes `last_used_at`, at most once per `keyUsageResolutionMillis`, so reads stay reads.
    private func recordUse(of key: ApiKey) async throws {
        let now = deps.clock.nowMillis
        guard now - (key.lastUsedAt ?? 0) >= policy.keyUsageResolutionMillis else { return }
        try await deps.store.write { try await $0.apiKeys.markUsed(workspaceId: key.workspaceId, id: key.id, at: now) }
        deps.apiKeys.markUsed(secretHash: key.secretHash, at: now)
    }

    /// The principal of a session cookie, or nil when the session is unknown, expired or lost its membership; with the
    /// person's workspaces (`Principal.memberships`) read on the same connection when a page will show them.
    public func authenticate(sessionToken token: String, withMemberships: Bool = false) async throws -> Principal? {
        let hash = deps.digest.digest(token)
        let now = deps.clock.nowMillis
        return try await deps.store.read { repos -> Principal? in
            guard let access = try await repos.sessions.access(tokenHash: hash), access.session.expiresAt > now else { return nil }
            var principal = Principal(caller: .user(access.member.user, session: access.session), workspace: access.workspace,
                                      role: access.member.role)
            if withMemberships { principal.memberships = try await repos.memberships.memberships(userId: access.member.user.id) }
            return principal
        }
    }

    /// Checks email and password, with a lockout after too many failures from one IP for one email.
    public func signIn(email rawEmail: String, password: String, ip: String?) async throws -> SignedInSession {
        let email = rawEmail.trimmed.lowercased()
        let throttleKey = deps.digest.digest("\(ip ?? "unknown")|\(email)")
        let now = deps.clock.nowMillis
        let recent = try await deps.store.read {
            try await $0.loginThrottle.failures(key: throttleKey, since: now - policy.lockoutMillis)
        }
        if recent.count >= policy.maxLoginFailures, let oldest = recent.sorted().suffix(policy.maxLoginFailures).first {
            let minutes = max(1, Int(((oldest + policy.lockoutMillis - now) + 59_999) / 60_000))
            throw RapportError(.rateLimited, code: "rate_limited",
                               message: "Too many failed sign-in attempts. Try again in \(minutes) minute\(minutes == 1 ? "" : "s").",
                               details: ["retry_after_seconds": String(minutes * 60)])
        }
        let user = try await deps.store.read { try await $0.users.find(email: email) }
        let valid: Bool
        if let user {
            valid = try await deps.passwords.verify(password, hash: user.passwordHash)
        } else {
            valid = false
        }
        guard let user, valid else {
            try await deps.store.write { repos in
                try await repos.loginThrottle.recordFailure(key: throttleKey, at: now)
                if let user {
                    for membership in try await repos.memberships.memberships(userId: user.id) {
                        try await audit.record(in: repos, workspaceId: membership.workspace.id,
                                               actor: AuditActor(type: .user, id: user.id, label: user.email),
                                               action: .loginFailed, targetType: "user", targetId: user.id, ip: ip)
                    }
                }
            }
            throw RapportError(.unauthenticated, code: "unauthenticated", message: "Wrong email or password.")
        }
        let token = SecretToken.make()
        let tokenHash = deps.digest.digest(token)
        let ttl = policy.sessionTTLMillis
        let session = try await deps.store.write { repos -> Session in
            let memberships = try await repos.memberships.memberships(userId: user.id)
            guard let first = memberships.first else {
                throw RapportError(.forbidden, code: "forbidden",
                                   message: "This account belongs to no workspace; ask an admin to add you.")
            }
            let session = Session(tokenHash: tokenHash, userId: user.id, workspaceId: first.workspace.id,
                                  csrfToken: SecretToken.make(), createdAt: now, expiresAt: now + ttl)
            try await repos.sessions.insert(session)
            try await repos.sessions.deleteExpired(before: now)
            try await repos.loginThrottle.clear(key: throttleKey)
            try await repos.users.recordLogin(userId: user.id, at: now)
            try await audit.record(in: repos, workspaceId: first.workspace.id,
                                   actor: AuditActor(type: .user, id: user.id, label: user.email),
                                   action: .login, targetType: "user", targetId: user.id, ip: ip)
            return session
        }
        return SignedInSession(token: token, session: session)
    }

    /// Ends a session.
    public func signOut(_ principal: Principal, ip: String?) async throws {
        guard let session = principal.session else { return }
        try await deps.store.write { repos in
            try await repos.sessions.delete(tokenHash: session.tokenHash)
            try await audit.record(in: repos, workspaceId: principal.workspaceId, actor: principal.actor,
                                   action: .logout, targetType: "user", targetId: session.userId, ip: ip)
        }
    }

    /// Moves a session to another workspace the user belongs to.
    public func switchWorkspace(_ principal: Principal, to workspaceId: String) async throws {
        guard let session = principal.session else {
            throw RapportError(.forbidden, code: "users_only", message: "Only a signed-in person can switch workspaces.")
        }
        try await deps.store.write { repos in
            guard try await repos.memberships.member(workspaceId: workspaceId, userId: session.userId) != nil else {
                throw RapportError.notFound("workspace")
            }
            try await repos.sessions.switchWorkspace(tokenHash: session.tokenHash, to: workspaceId)
        }
    }

    /// The workspaces the caller can see: a user's memberships, or a key's own workspace.
    public func memberships(of principal: Principal) async throws -> [Membership] {
        if let read = principal.memberships { return read }
        guard let user = principal.user else { return [Membership(workspace: principal.workspace, role: principal.role)] }
        return try await deps.store.read { try await $0.memberships.memberships(userId: user.id) }
    }
}
