/// The outbox, the suppression list and the templates. Implemented over SQL in RapportStore; part of `Repositories`,
/// so an email queued inside `store.write { … }` commits with the change that caused it.
public protocol EmailRepository: Sendable {
    func insert(_ email: OutboundEmail) async throws
    /// Writes the email's state, reason, attempts, last reply and sent time.
    func update(_ email: OutboundEmail) async throws
    func find(workspaceId: String, id: String) async throws -> OutboundEmail?
    /// The email whose unsubscribe link carries this token, in any workspace.
    func find(unsubscribeToken: String) async throws -> OutboundEmail?
    /// Newest first.
    func list(_ query: EmailQuery, page: PageRequest) async throws -> Page<OutboundEmail>
    /// When each email the workspace sent at or after `since` was sent, oldest first (the rate limit's window).
    func sentTimes(workspaceId: String, since: Int64) async throws -> [Int64]

    func suppression(workspaceId: String, address: String) async throws -> EmailSuppression?
    /// Adds the address, or keeps the entry already there.
    func suppress(_ suppression: EmailSuppression) async throws
    /// True when the address was on the list.
    func unsuppress(workspaceId: String, address: String) async throws -> Bool
    func suppressions(workspaceId: String, page: PageRequest) async throws -> Page<EmailSuppression>

    func smtpSettings(workspaceId: String) async throws -> WorkspaceSMTPSettings?
    /// Adds or replaces the workspace's SMTP settings.
    func save(_ settings: WorkspaceSMTPSettings) async throws
    func deleteSMTPSettings(workspaceId: String) async throws

    func insert(_ template: EmailTemplate) async throws
    func update(_ template: EmailTemplate) async throws
    func deleteTemplate(workspaceId: String, id: String) async throws
    func template(workspaceId: String, id: String) async throws -> EmailTemplate?
    func template(workspaceId: String, name: String) async throws -> EmailTemplate?
    func templates(workspaceId: String, page: PageRequest) async throws -> Page<EmailTemplate>
}

/// Which emails to list.
public struct EmailQuery: Sendable, Equatable {
    public var workspaceId: String
    public var state: OutboundEmail.State?
    public var customerId: String?

    public init(workspaceId: String, state: OutboundEmail.State? = nil, customerId: String? = nil) {
        self.workspaceId = workspaceId
        self.state = state
        self.customerId = customerId
    }
}
