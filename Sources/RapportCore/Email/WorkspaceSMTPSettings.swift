/// A workspace's own SMTP server, used instead of the server-wide one (`SMTP_URL`) for its emails. The password is
/// stored sealed (`SecretBox`, AES-GCM under the server's `SECRET_KEY`) and never shown again.
public struct WorkspaceSMTPSettings: Sendable, Equatable {
    /// How the connection is protected; raw values are stored and match `SMTP_URL`'s `security` parameter.
    public enum Security: String, Sendable, CaseIterable {
        case starttls, tls, opportunistic, none
    }

    public var workspaceId: String
    public var host: String
    public var port: Int
    public var security: Security
    public var username: String?
    /// The password sealed by the server's `SecretBox`; nil without one.
    public var sealedPassword: String?
    /// The sender, `Name <address>` or an address.
    public var from: String
    public var updatedAt: Int64

    public init(workspaceId: String, host: String, port: Int, security: Security, username: String?,
                sealedPassword: String?, from: String, updatedAt: Int64) {
        self.workspaceId = workspaceId
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.sealedPassword = sealedPassword
        self.from = from
        self.updatedAt = updatedAt
    }
}

/// Seals secrets that Rapport must read back (an SMTP password) under a key from the server's configuration, so a
/// copy of the database alone does not reveal them. Implemented in the runtime with AES-GCM.
public protocol SecretBox: Sendable {
    func seal(_ plaintext: String) throws -> String
    /// Throws when the sealed text was made under another key or altered.
    func open(_ sealed: String) throws -> String
}
