import RapportCore
import SQLKit

struct SQLSurveyInvitationRepository: SurveyInvitationRepository {
    let db: any SQLDatabase
    /// Seals the widget's identity secret as stored and opens it as read.
    var secrets = StoredSecret(box: nil)

    static let columns = """
        workspace_id, id, survey_id, customer_id, channel, status, reason, reason_text, attributes, source, send_at, \
        sent_at, email_id, reminders_sent, responded_at, created_at, updated_at
        """

    func insert(_ invitation: SurveyInvitation) async throws {
        try await db.raw("""
            INSERT INTO survey_invitations (\(unsafeRaw: Self.columns))
            VALUES (\(bind: invitation.workspaceId), \(bind: invitation.id), \(bind: invitation.surveyId),
                    \(bind: invitation.customerId), \(bind: invitation.channel), \(bind: invitation.status.rawValue),
                    \(bind: invitation.reason), \(bind: invitation.reasonText),
                    \(bind: SQLSurveyResponseRepository.attributesText(invitation.attributes)), \(bind: invitation.source),
                    \(bind: invitation.sendAt), \(bind: invitation.sentAt), \(bind: invitation.emailId),
                    \(bind: invitation.remindersSent), \(bind: invitation.respondedAt), \(bind: invitation.createdAt),
                    \(bind: invitation.updatedAt))
            """).run()
    }

    func find(workspaceId: String, id: String) async throws -> SurveyInvitation? {
        try await db.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM survey_invitations WHERE workspace_id = \(bind: workspaceId) AND id = \(bind: id)
            """).first().map(Self.invitation)
    }

    /// A change within one status (a reminder) must raise `reminders_sent`, so a reminder job run twice sends once.
    func transition(_ invitation: SurveyInvitation, from: SurveyInvitation.Status) async throws -> Bool {
        let sameStatus = from == invitation.status ? 1 : 0
        return try await db.raw("""
            UPDATE survey_invitations SET status = \(bind: invitation.status.rawValue), customer_id = \(bind: invitation.customerId),
                reason = \(bind: invitation.reason), reason_text = \(bind: invitation.reasonText), sent_at = \(bind: invitation.sentAt),
                email_id = \(bind: invitation.emailId), reminders_sent = \(bind: invitation.remindersSent),
                responded_at = \(bind: invitation.respondedAt), updated_at = \(bind: invitation.updatedAt)
            WHERE workspace_id = \(bind: invitation.workspaceId) AND id = \(bind: invitation.id) AND status = \(bind: from.rawValue)
                AND (\(unsafeRaw: String(sameStatus)) = 0 OR reminders_sent < \(bind: invitation.remindersSent))
            RETURNING id
            """).first() != nil
    }

    func lockContact(workspaceId: String, customerId: String) async throws {
        guard db.isPostgres else { return }
        try await db.raw("SELECT pg_advisory_xact_lock(727274003, hashtext(\(bind: workspaceId + "/" + customerId)))").run()
    }

    func lastSent(workspaceId: String, customerId: String, surveyId: String?, excluding: String) async throws -> Int64? {
        var sql: SQLQueryString = """
            SELECT MAX(sent_at) AS last FROM survey_invitations
            WHERE workspace_id = \(bind: workspaceId) AND customer_id = \(bind: customerId) AND sent_at IS NOT NULL
                AND id <> \(bind: excluding)
            """
        if let surveyId {
            sql.appendInterpolation(unsafeRaw: " AND survey_id = ")
            sql.appendInterpolation(bind: surveyId)
        }
        return try await db.raw(sql).first().flatMap { try $0.optionalInt64("last") }
    }

    /// A dismissal's time is the `updated_at` of the move to `dismissed` (the state is final for the widget).
    func lastDismissed(workspaceId: String, customerId: String, surveyId: String) async throws -> Int64? {
        try await db.raw("""
            SELECT MAX(updated_at) AS last FROM survey_invitations
            WHERE workspace_id = \(bind: workspaceId) AND customer_id = \(bind: customerId) AND survey_id = \(bind: surveyId)
                AND status = \(bind: SurveyInvitation.Status.dismissed.rawValue)
            """).first().flatMap { try $0.optionalInt64("last") }
    }

    func lastSuppressed(workspaceId: String, customerId: String, surveyId: String, channel: String, reason: String) async throws -> Int64? {
        try await db.raw("""
            SELECT MAX(created_at) AS last FROM survey_invitations
            WHERE workspace_id = \(bind: workspaceId) AND customer_id = \(bind: customerId) AND survey_id = \(bind: surveyId)
                AND channel = \(bind: channel) AND status = \(bind: SurveyInvitation.Status.suppressed.rawValue)
                AND reason = \(bind: reason)
            """).first().flatMap { try $0.optionalInt64("last") }
    }

    func list(workspaceId: String, surveyId: String?, customerId: String?, status: SurveyInvitation.Status?,
              page: PageRequest) async throws -> Page<SurveyInvitation> {
        var sql: SQLQueryString = "SELECT \(unsafeRaw: Self.columns) FROM survey_invitations WHERE workspace_id = \(bind: workspaceId)"
        if let surveyId {
            sql.appendInterpolation(unsafeRaw: " AND survey_id = ")
            sql.appendInterpolation(bind: surveyId)
        }
        if let customerId {
            sql.appendInterpolation(unsafeRaw: " AND customer_id = ")
            sql.appendInterpolation(bind: customerId)
        }
        if let status {
            sql.appendInterpolation(unsafeRaw: " AND status = ")
            sql.appendInterpolation(bind: status.rawValue)
        }
        return try await db.page(sql, column: "id", page: page, id: \.id, decode: Self.invitation)
    }

    func metricRows(workspaceId: String, surveyIds: [String], from: Int64, to: Int64) async throws -> [InvitationMetricRow] {
        guard !surveyIds.isEmpty else { return [] }
        let delivered = [SurveyInvitation.Status.sent, .responded, .dismissed].map(\.rawValue)
        let undelivered = [OutboundEmail.State.failed, .blocked].map(\.rawValue)
        var sql: SQLQueryString = """
            SELECT i.survey_id, i.customer_id, i.sent_at, i.channel, i.attributes, i.status, i.responded_at FROM survey_invitations i
            LEFT JOIN email_outbox e ON e.workspace_id = i.workspace_id AND e.id = i.email_id
            WHERE i.workspace_id = \(bind: workspaceId) AND i.sent_at >= \(bind: from) AND i.sent_at < \(bind: to)
              AND (e.state IS NULL OR e.state NOT IN (\(binds: undelivered))) AND i.status IN (\(binds: delivered))
              AND i.survey_id\(unsafeRaw: " ")
            """
        sql.appendInterpolation(isIn: surveyIds, postgres: db.isPostgres)
        return try await db.raw(sql).all().map { row in
            let attributes = JSONValue.parse(try row.string("attributes"))?.objectValue?.compactMapValues(\.stringValue) ?? [:]
            let status = try row.string("status"), respondedAt = try row.optionalInt64("responded_at")
            let responded = status == SurveyInvitation.Status.responded.rawValue || respondedAt != nil
            return InvitationMetricRow(surveyId: try row.string("survey_id"), customerId: try row.string("customer_id"),
                                       sentAt: try row.int64("sent_at"), channel: try row.string("channel"), attributes: attributes,
                                       responded: responded)
        }
    }

    func counts(workspaceId: String, surveyId: String) async throws -> (byStatus: [String: Int], byReason: [String: Int]) {
        let rows = try await db.raw("""
            SELECT status, reason, COUNT(*) AS n FROM survey_invitations
            WHERE workspace_id = \(bind: workspaceId) AND survey_id = \(bind: surveyId) GROUP BY status, reason
            """).all()
        var byStatus: [String: Int] = [:], byReason: [String: Int] = [:]
        for row in rows {
            let (status, count) = (try row.string("status"), try row.int("n"))
            byStatus[status, default: 0] += count
            if status == SurveyInvitation.Status.suppressed.rawValue, let reason = try row.optionalString("reason") {
                byReason[reason, default: 0] += count
            }
        }
        return (byStatus, byReason)
    }

    func addToken(hash: String, invitation: SurveyInvitation, at: Int64) async throws {
        try await db.raw("""
            INSERT INTO survey_invitation_tokens (token_hash, workspace_id, invitation_id, customer_id, created_at)
            VALUES (\(bind: hash), \(bind: invitation.workspaceId), \(bind: invitation.id), \(bind: invitation.customerId), \(bind: at))
            """).run()
    }

    func find(tokenHash: String) async throws -> SurveyInvitation? {
        let prefixed = Self.columns.split(separator: ",").map { "i." + $0.filter { $0 != " " } }.joined(separator: ", ")
        return try await db.raw("""
            SELECT \(unsafeRaw: prefixed) FROM survey_invitation_tokens t
            JOIN survey_invitations i ON i.workspace_id = t.workspace_id AND i.id = t.invitation_id
            WHERE t.token_hash = \(bind: tokenHash)
            """).first().map(Self.invitation)
    }

    func contactRules(workspaceId: String) async throws -> SurveyContactRules {
        guard let row = try await db.raw("""
            SELECT recontact_days, quiet_start_hour, quiet_end_hour FROM survey_contact_rules WHERE workspace_id = \(bind: workspaceId)
            """).first() else { return SurveyContactRules() }
        return SurveyContactRules(recontactDays: try row.int("recontact_days"), quietStartHour: try row.int("quiet_start_hour"),
                                  quietEndHour: try row.int("quiet_end_hour"))
    }

    func saveContactRules(workspaceId: String, _ rules: SurveyContactRules, at: Int64) async throws {
        try await db.raw("""
            INSERT INTO survey_contact_rules (workspace_id, recontact_days, quiet_start_hour, quiet_end_hour, updated_at)
            VALUES (\(bind: workspaceId), \(bind: rules.recontactDays), \(bind: rules.quietStartHour), \(bind: rules.quietEndHour), \(bind: at))
            ON CONFLICT (workspace_id) DO UPDATE SET recontact_days = excluded.recontact_days,
                quiet_start_hour = excluded.quiet_start_hour, quiet_end_hour = excluded.quiet_end_hour, updated_at = excluded.updated_at
            """).run()
    }

    func widgetIdentity(workspaceId: String) async throws -> SurveyWidgetIdentity {
        guard let row = try await db.raw("""
            SELECT require_user_hash, secret FROM survey_widget_settings WHERE workspace_id = \(bind: workspaceId)
            """).first() else { return SurveyWidgetIdentity() }
        return SurveyWidgetIdentity(requireUserHash: try row.int("require_user_hash") != 0, secret: try row.optionalString("secret").map(secrets.open))
    }

    func saveWidgetIdentity(workspaceId: String, _ identity: SurveyWidgetIdentity, at: Int64) async throws {
        try await db.raw("""
            INSERT INTO survey_widget_settings (workspace_id, require_user_hash, secret, updated_at)
            VALUES (\(bind: workspaceId), \(bind: identity.requireUserHash ? 1 : 0), \(bind: try secrets.seal(identity.secret)), \(bind: at))
            ON CONFLICT (workspace_id) DO UPDATE SET require_user_hash = excluded.require_user_hash, secret = excluded.secret,
                updated_at = excluded.updated_at
            """).run()
    }

    static func invitation(_ row: any SQLRow) throws -> SurveyInvitation {
        let rawStatus = try row.string("status")
        guard let status = SurveyInvitation.Status(rawValue: rawStatus) else {
            throw CorruptRowError(table: "survey_invitations", column: "status", value: rawStatus)
        }
        let attributes = JSONValue.parse(try row.string("attributes"))?.objectValue?.compactMapValues(\.stringValue) ?? [:]
        return SurveyInvitation(
            id: try row.string("id"), workspaceId: try row.string("workspace_id"), surveyId: try row.string("survey_id"),
            customerId: try row.string("customer_id"), channel: try row.string("channel"), status: status,
            reason: try row.optionalString("reason"), reasonText: try row.optionalString("reason_text"), attributes: attributes,
            source: try row.string("source"), sendAt: try row.int64("send_at"), sentAt: try row.optionalInt64("sent_at"),
            emailId: try row.optionalString("email_id"), remindersSent: try row.int("reminders_sent"),
            respondedAt: try row.optionalInt64("responded_at"), createdAt: try row.int64("created_at"),
            updatedAt: try row.int64("updated_at"))
    }
}
