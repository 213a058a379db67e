import Foundation
import RapportCore
import RapportMail

/// A workspace's own SMTP server (admins): shown without its password, saved with the password sealed under the
/// server's `SECRET_KEY`, removed to fall back to the server-wide one. Lives in the runtime because it needs the SMTP
/// client's settings and the key. Also resolves which SMTP server sends a workspace's email.
public struct WorkspaceSMTPService: Sendable {
    let deps: CoreDependencies
    let serverSMTP: SMTPSettings?
    let box: (any SecretBox)?
    let urlGuard: any OutboundURLGuard

    public init(_ deps: CoreDependencies, serverSMTP: SMTPSettings?, box: (any SecretBox)?, urlGuard: any OutboundURLGuard) {
        self.deps = deps
        self.serverSMTP = serverSMTP
        self.box = box
        self.urlGuard = urlGuard
    }

    /// What the settings page and `GET /api/v1/email/smtp` show: whose server sends, and its settings (never the
    /// password; whether one is stored).
    public struct View: Sendable, Equatable {
        public enum Source: String, Sendable { case workspace, server, none }
        public var source: Source
        public var host: String?
        public var port: Int?
        public var security: String?
        public var username: String?
        public var passwordSet: Bool
        public var from: String?
        public var updatedAt: Int64?
        /// False when the server has no `SECRET_KEY`, so a workspace cannot store a password.
        public var canStorePasswords: Bool
        /// The server that sends, as `smtp://user:***@host:587?security=starttls`; nil when there is none.
        public var server: String?
        /// True when the workspace's stored password cannot be opened with this server's `SECRET_KEY` (the key was
        /// changed or lost): its email cannot be sent until an admin enters the password again.
        public var passwordUnreadable = false
    }

    public func view(_ principal: Principal) async throws -> View {
        try principal.require(Permission.manageWorkspace.leastRole)
        let workspaceId = principal.workspaceId
        if let own = try await deps.store.read({ try await $0.emails.smtpSettings(workspaceId: workspaceId) }) {
            let described = SMTPSettings(host: own.host, port: own.port,
                                         security: SMTPSettings.Security(rawValue: own.security.rawValue) ?? .starttls,
                                         username: own.username, password: nil)
            var unreadable = false
            if let sealed = own.sealedPassword { unreadable = (try? box?.open(sealed)) == nil }
            return View(source: .workspace, host: own.host, port: own.port, security: own.security.rawValue, username: own.username,
                        passwordSet: own.sealedPassword != nil, from: own.from, updatedAt: own.updatedAt,
                        canStorePasswords: box != nil, server: described.redactedDescription, passwordUnreadable: unreadable)
        }
        if let server = serverSMTP {
            return View(source: .server, host: server.host, port: server.port, security: server.security.rawValue,
                        username: nil, passwordSet: server.password != nil, from: server.from?.description, updatedAt: nil,
                        canStorePasswords: box != nil, server: server.redactedDescription)
        }
        return View(source: .none, passwordSet: false, canStorePasswords: box != nil)
    }

    /// Saves the workspace's server. `password`: nil keeps the stored one (for the same user name), `.some(nil)` or
    /// an empty one removes it.
    public func save(_ principal: Principal, host rawHost: String, port: Int?, security rawSecurity: String?, username rawUser: String?,
                     password: String??, from rawFrom: String, ip: String?) async throws -> View {
        try principal.require(Permission.manageWorkspace.leastRole)
        let host = rawHost.trimmed.lowercased()
        guard (1...253).contains(host.count),
              host.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && !"/?#@[]\\<>\"".unicodeScalars.contains($0) }) else {
            throw RapportError.invalid("host", "host must be a host name or an IPv4 address, such as smtp.example.com.")
        }
        let security: WorkspaceSMTPSettings.Security
        if let rawSecurity, !rawSecurity.isEmpty {
            guard let parsed = WorkspaceSMTPSettings.Security(rawValue: rawSecurity) else {
                throw RapportError.invalid("security", "security must be one of: starttls, tls, opportunistic, none.")
            }
            security = parsed
        } else {
            security = .starttls
        }
        let portNumber = port ?? (security == .tls ? 465 : 587)
        guard (1...65535).contains(portNumber) else { throw RapportError.invalid("port", "port must be from 1 to 65535.") }
        let username = rawUser?.trimmed.isEmpty == false ? rawUser!.trimmed : nil
        if let username, username.count > 200 || username.contains(where: \.isNewline) {
            throw RapportError.invalid("username", "username must be one line of at most 200 characters.")
        }
        let from: EmailAddress
        do { from = try EmailAddress(parsing: rawFrom.trimmed, field: "from") } catch {
            throw RapportError.invalid("from", "from must be an address such as Acme <support@acme.example> or support@acme.example.")
        }

        let workspaceId = principal.workspaceId
        let existing = try await deps.store.read { try await $0.emails.smtpSettings(workspaceId: workspaceId) }
        var sealed: String?
        switch password {
        case .none:
            sealed = existing?.username == username ? existing?.sealedPassword : nil
        case .some(let newPassword):
            if let newPassword, !newPassword.isEmpty {
                guard newPassword.count <= 500, !newPassword.contains(where: \.isNewline) else {
                    throw RapportError.invalid("password", "password must be one line of at most 500 characters.")
                }
                guard let box else {
                    throw RapportError(.conflict, code: "secret_key_missing",
                                       message: "This server has no SECRET_KEY, so it cannot store SMTP passwords (docs/email.md).",
                                       details: ["field": "password"])
                }
                sealed = try box.seal(newPassword)
            }
        }
        if username != nil, sealed == nil {
            throw RapportError.invalid("password", "A user name needs its password.")
        }
        if username == nil, sealed != nil {
            throw RapportError.invalid("username", "A password needs its user name.")
        }
        if username != nil, security == .none {
            throw RapportError.invalid("security", "A password is only sent over TLS: choose starttls, tls or opportunistic.")
        }
        // Last: the only check that goes to the network (it resolves the host).
        guard let url = URL(string: "smtp://\(host):\(portNumber)") else {
            throw RapportError.invalid("host", "host must be a host name or an IPv4 address, such as smtp.example.com.")
        }
        do { try await urlGuard.check(url) } catch let error as RapportError {
            throw RapportError(error.kind, code: error.code, message: error.message, details: ["field": "host"])
        }
        let settings = WorkspaceSMTPSettings(workspaceId: workspaceId, host: host, port: portNumber, security: security,
                                             username: username, sealedPassword: sealed, from: from.description,
                                             updatedAt: deps.clock.nowMillis)
        let audit = AuditLog(deps)
        let actor = principal.actor
        try await deps.store.write { repos in
            try await repos.emails.save(settings)
            try await audit.record(in: repos, workspaceId: workspaceId, actor: actor, action: .emailSMTPUpdated,
                                   targetType: "workspace", targetId: workspaceId, ip: ip,
                                   details: ["host": settings.host, "port": String(settings.port)])
        }
        return try await view(principal)
    }

    public func remove(_ principal: Principal, ip: String?) async throws {
        try principal.require(Permission.manageWorkspace.leastRole)
        let workspaceId = principal.workspaceId
        let audit = AuditLog(deps)
        let actor = principal.actor
        try await deps.store.write { repos in
            guard try await repos.emails.smtpSettings(workspaceId: workspaceId) != nil else {
                throw RapportError(.notFound, code: "not_found", message: "This workspace has no SMTP server of its own.")
            }
            try await repos.emails.deleteSMTPSettings(workspaceId: workspaceId)
            try await audit.record(in: repos, workspaceId: workspaceId, actor: actor, action: .emailSMTPRemoved,
                                   targetType: "workspace", targetId: workspaceId, ip: ip)
        }
    }

    /// The SMTP server that sends the workspace's email: its own, else the server-wide one, else nil.
    public func transport(workspaceId: String) async throws -> SMTPSettings? {
        guard let own = try await deps.store.read({ try await $0.emails.smtpSettings(workspaceId: workspaceId) }) else {
            return serverSMTP
        }
        var password: String?
        if let sealed = own.sealedPassword {
            guard let box else { throw SecretBoxError() }
            password = try box.open(sealed)
        }
        var settings = SMTPSettings(host: own.host, port: own.port, security: SMTPSettings.Security(rawValue: own.security.rawValue) ?? .starttls,
                                    username: own.username, password: password)
        // The server-wide CA (SMTP_CA_FILE) is trusted for workspace servers too: a private CA is the installation's.
        if let serverTrust = serverSMTP?.trust { settings.trust = serverTrust }
        settings.from = try? EmailAddress(parsing: own.from, field: "from")
        return settings
    }
}
