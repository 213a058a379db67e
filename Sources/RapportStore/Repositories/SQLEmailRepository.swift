import RapportCore
import SQLKit

/// The outbox, suppression list and templates over SQL.
struct SQLEmailRepository: EmailRepository {
    let db: any SQLDatabase

    static let outboxColumns = """
        workspace_id, id, customer_id, recipient, purpose, template_id, subject, text_body, html_body, state, reason, \
        attempts, last_reply, message_id, unsubscribe_token, source, created_at, updated_at, sent_at
        """
    static let templateColumns = "workspace_id, id, name, subject, text_body, html_body, created_at, updated_at"
    static let suppressionColumns = "workspace_id, address, id, reason, detail, created_at"

    // MARK: Outbox

    func insert(_ email: OutboundEmail) async throws {
        try await db.raw("""
            INSERT INTO email_outbox (\(unsafeRaw: Self.outboxColumns))
            VALUES (\(bind: email.workspaceId), \(bind: email.id), \(bind: email.customerId), \(bind: email.recipient),
                    \(bind: email.purpose), \(bind: email.templateId), \(bind: email.subject), \(bind: email.textBody),
                    \(bind: email.htmlBody), \(bind: email.state.rawValue), \(bind: email.reason), \(bind: Int64(email.attempts)),
                    \(bind: email.lastReply), \(bind: email.messageId), \(bind: email.unsubscribeToken), \(bind: email.source),
                    \(bind: email.createdAt), \(bind: email.updatedAt), \(bind: email.sentAt))
            """).run()
    }

    func update(_ email: OutboundEmail) async throws {
        try await db.raw("""
            UPDATE email_outbox SET state = \(bind: email.state.rawValue), reason = \(bind: email.reason),
                attempts = \(bind: Int64(email.attempts)), last_reply = \(bind: email.lastReply),
                sent_at = \(bind: email.sentAt), updated_at = \(bind: email.updatedAt)
            WHERE workspace_id = \(bind: email.workspaceId) AND id = \(bind: email.id)
            """).run()
    }

    func find(workspaceId: String, id: String) async throws -> OutboundEmail? {
        try await db.raw("""
            SELECT \(unsafeRaw: Self.outboxColumns) FROM email_outbox WHERE workspace_id = \(bind: workspaceId) AND id = \(bind: id)
            """).first().map(Self.email)
    }

    func find(unsubscribeToken: String) async throws -> OutboundEmail? {
        try await db.raw("""
            SELECT \(unsafeRaw: Self.outboxColumns) FROM email_outbox WHERE unsubscribe_token = \(bind: unsubscribeToken)
            """).first().map(Self.email)
    }

    func list(_ query: EmailQuery, page: PageRequest) async throws -> Page<OutboundEmail> {
        var sql: SQLQueryString = "SELECT \(unsafeRaw: Self.outboxColumns) FROM email_outbox WHERE workspace_id = \(bind: query.workspaceId)"
        if let state = query.state {
            sql.appendInterpolation(unsafeRaw: " AND state = ")
            sql.appendInterpolation(bind: state.rawValue)
        }
        if let customerId = query.customerId {
            sql.appendInterpolation(unsafeRaw: " AND customer_id = ")
            sql.appendInterpolation(bind: customerId)
        }
        return try await db.page(sql, column: "id", page: page, id: \.id, decode: Self.email)
    }

    func sentTimes(workspaceId: String, since: Int64) async throws -> [Int64] {
        try await db.raw("""
            SELECT sent_at FROM email_outbox WHERE workspace_id = \(bind: workspaceId) AND sent_at >= \(bind: since)
            ORDER BY sent_at
            """).all().map { try $0.int64("sent_at") }
    }

    // MARK: Suppression list

    func suppression(workspaceId: String, address: String) async throws -> EmailSuppression? {
        try await db.raw("""
            SELECT \(unsafeRaw: Self.suppressionColumns) FROM email_suppressions
            WHERE workspace_id = \(bind: workspaceId) AND address = \(bind: address)
            """).first().map(Self.suppression)
    }

    func suppress(_ suppression: EmailSuppression) async throws {
        try await db.raw("""
            INSERT INTO email_suppressions (\(unsafeRaw: Self.suppressionColumns))
            VALUES (\(bind: suppression.workspaceId), \(bind: suppression.address), \(bind: suppression.id),
                    \(bind: suppression.reason.rawValue), \(bind: suppression.detail), \(bind: suppression.createdAt))
            ON CONFLICT (workspace_id, address) DO NOTHING
            """).run()
    }

    func unsuppress(workspaceId: String, address: String) async throws -> Bool {
        try await db.raw("""
            DELETE FROM email_suppressions WHERE workspace_id = \(bind: workspaceId) AND address = \(bind: address) RETURNING id
            """).first() != nil
    }

    func suppressions(workspaceId: String, page: PageRequest) async throws -> Page<EmailSuppression> {
        try await db.page("SELECT \(unsafeRaw: Self.suppressionColumns) FROM email_suppressions WHERE workspace_id = \(bind: workspaceId)",
                          column: "id", page: page, id: \.id, decode: Self.suppression)
    }

    // MARK: The workspace's SMTP server

    func smtpSettings(workspaceId: String) async throws -> WorkspaceSMTPSettings? {
        guard let row = try await db.raw("""
            SELECT workspace_id, host, port, security, username, sealed_password, from_address, updated_at
            FROM workspace_smtp_settings WHERE workspace_id = \(bind: workspaceId)
            """).first() else { return nil }
        let rawSecurity = try row.string("security")
        guard let security = WorkspaceSMTPSettings.Security(rawValue: rawSecurity) else {
            throw CorruptRowError(table: "workspace_smtp_settings", column: "security", value: rawSecurity)
        }
        return WorkspaceSMTPSettings(workspaceId: try row.string("workspace_id"), host: try row.string("host"),
                                     port: try row.int("port"), security: security, username: try row.optionalString("username"),
                                     sealedPassword: try row.optionalString("sealed_password"),
                                     from: try row.string("from_address"), updatedAt: try row.int64("updated_at"))
    }

    func save(_ settings: WorkspaceSMTPSettings) async throws {
        try await db.raw("""
            INSERT INTO workspace_smtp_settings (workspace_id, host, port, security, username, sealed_password, from_address, updated_at)
            VALUES (\(bind: settings.workspaceId), \(bind: settings.host), \(bind: Int64(settings.port)), \(bind: settings.security.rawValue),
                    \(bind: settings.username), \(bind: settings.sealedPassword), \(bind: settings.from), \(bind: settings.updatedAt))
            ON CONFLICT (workspace_id) DO UPDATE SET host = EXCLUDED.host, port = EXCLUDED.port, security = EXCLUDED.security,
                username = EXCLUDED.username, sealed_password = EXCLUDED.sealed_password, from_address = EXCLUDED.from_address,
                updated_at = EXCLUDED.updated_at
            """).run()
    }

    func deleteSMTPSettings(workspaceId: String) async throws {
        try await db.raw("DELETE FROM workspace_smtp_settings WHERE workspace_id = \(bind: workspaceId)").run()
    }

    // MARK: Templates

    func insert(_ template: EmailTemplate) async throws {
        try await db.raw("""
            INSERT INTO email_templates (\(unsafeRaw: Self.templateColumns))
            VALUES (\(bind: template.workspaceId), \(bind: template.id), \(bind: template.name), \(bind: template.content.subject),
                    \(bind: template.content.text), \(bind: template.content.html), \(bind: template.createdAt),
                    \(bind: template.updatedAt))
            """).run()
    }

    func update(_ template: EmailTemplate) async throws {
        try await db.raw("""
            UPDATE email_templates SET name = \(bind: template.name), subject = \(bind: template.content.subject),
                text_body = \(bind: template.content.text), html_body = \(bind: template.content.html),
                updated_at = \(bind: template.updatedAt)
            WHERE workspace_id = \(bind: template.workspaceId) AND id = \(bind: template.id)
            """).run()
    }

    func deleteTemplate(workspaceId: String, id: String) async throws {
        try await db.raw("DELETE FROM email_templates WHERE workspace_id = \(bind: workspaceId) AND id = \(bind: id)").run()
    }

    func template(workspaceId: String, id: String) async throws -> EmailTemplate? {
        try await db.raw("""
            SELECT \(unsafeRaw: Self.templateColumns) FROM email_templates WHERE workspace_id = \(bind: workspaceId) AND id = \(bind: id)
            """).first().map(Self.template)
    }

    func template(workspaceId: String, name: String) async throws -> EmailTemplate? {
        try await db.raw("""
            SELECT \(unsafeRaw: Self.templateColumns) FROM email_templates
            WHERE workspace_id = \(bind: workspaceId) AND name = \(bind: name)
            """).first().map(Self.template)
    }

    func templates(workspaceId: String, page: PageRequest) async throws -> Page<EmailTemplate> {
        try await db.page("SELECT \(unsafeRaw: Self.templateColumns) FROM email_templates WHERE workspace_id = \(bind: workspaceId)",
                          column: "id", page: page, id: \.id, decode: Self.template)
    }

    // MARK: Rows

    static func email(_ row: any SQLRow) throws -> OutboundEmail {
        let rawState = try row.string("state")
        guard let state = OutboundEmail.State(rawValue: rawState) else {
            throw CorruptRowError(table: "email_outbox", column: "state", value: rawState)
        }
        var email = OutboundEmail(
            id: try row.string("id"), workspaceId: try row.string("workspace_id"), customerId: try row.optionalString("customer_id"),
            recipient: try row.string("recipient"), purpose: try row.optionalString("purpose"),
            templateId: try row.optionalString("template_id"),
            content: EmailContent(subject: try row.string("subject"), text: try row.string("text_body"),
                                  html: try row.optionalString("html_body")),
            messageId: try row.string("message_id"), unsubscribeToken: try row.optionalString("unsubscribe_token"),
            source: try row.string("source"), now: try row.int64("created_at"))
        email.state = state
        email.reason = try row.optionalString("reason")
        email.attempts = try row.int("attempts")
        email.lastReply = try row.optionalString("last_reply")
        email.updatedAt = try row.int64("updated_at")
        email.sentAt = try row.optionalInt64("sent_at")
        return email
    }

    static func suppression(_ row: any SQLRow) throws -> EmailSuppression {
        let rawReason = try row.string("reason")
        guard let reason = EmailSuppression.Reason(rawValue: rawReason) else {
            throw CorruptRowError(table: "email_suppressions", column: "reason", value: rawReason)
        }
        return EmailSuppression(id: try row.string("id"), workspaceId: try row.string("workspace_id"),
                                address: try row.string("address"), reason: reason, detail: try row.optionalString("detail"),
                                createdAt: try row.int64("created_at"))
    }

    static func template(_ row: any SQLRow) throws -> EmailTemplate {
        EmailTemplate(id: try row.string("id"), workspaceId: try row.string("workspace_id"), name: try row.string("name"),
                      content: EmailContent(subject: try row.string("subject"), text: try row.string("text_body"),
                                            html: try row.optionalString("html_body")),
                      createdAt: try row.int64("created_at"), updatedAt: try row.int64("updated_at"))
    }
}
