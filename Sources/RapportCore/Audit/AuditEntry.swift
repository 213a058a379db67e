/// Who did a security-relevant action.
public struct AuditActor: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable { case user, apiKey = "api_key", system }

    public var type: Kind
    public var id: String?
    public var label: String?

    public init(type: Kind, id: String?, label: String?) {
        self.type = type
        self.id = id
        self.label = label
    }

    public static let system = AuditActor(type: .system, id: nil, label: "rapport")
}

/// The security-relevant actions Rapport records.
public enum AuditAction: String, Sendable, CaseIterable {
    case login = "user.login"
    case loginFailed = "user.login_failed"
    case logout = "user.logout"
    case userCreated = "user.created"
    case memberAdded = "member.added"
    case memberRoleChanged = "member.role_changed"
    case memberRemoved = "member.removed"
    case teamCreated = "team.created"
    case teamUpdated = "team.updated"
    case teamDeleted = "team.deleted"
    case apiKeyCreated = "api_key.created"
    case apiKeyRevoked = "api_key.revoked"
    case workspaceCreated = "workspace.created"
    case workspaceRenamed = "workspace.renamed"
    case workspaceTimeZoneChanged = "workspace.time_zone_changed"
    case setupCompleted = "setup.completed"
    case customerMerged = "customer.merged"
    case customerExported = "customer.exported"
    case customerErased = "customer.erased"
    case importStarted = "import.started"
    case jobRetried = "job.retried"
    case jobCancelled = "job.cancelled"
    case webhookCreated = "webhook.created"
    case webhookUpdated = "webhook.updated"
    case webhookDeleted = "webhook.deleted"
    case webhookSecretRotated = "webhook.secret_rotated"
    /// Rapport disabled an endpoint whose deliveries all failed for days.
    case webhookDisabled = "webhook.disabled"
    case emailTemplateCreated = "email_template.created"
    case emailTemplateUpdated = "email_template.updated"
    case emailTemplateDeleted = "email_template.deleted"
    case emailSuppressionAdded = "email_suppression.added"
    case emailSuppressionRemoved = "email_suppression.removed"
    case emailSMTPUpdated = "email_smtp.updated"
    case emailSMTPRemoved = "email_smtp.removed"
    case automationRuleCreated = "automation_rule.created"
    case automationRuleUpdated = "automation_rule.updated"
    case automationRulePaused = "automation_rule.paused"
    case automationRuleResumed = "automation_rule.resumed"
    case automationRuleDeleted = "automation_rule.deleted"
    case surveyCreated = "survey.created"
    case surveyContactRulesChanged = "survey.contact_rules_changed"
    case surveyWidgetIdentityChanged = "survey.widget_identity_changed"
    case surveyUpdated = "survey.updated"
    case surveyActivated = "survey.activated"
    case surveyPaused = "survey.paused"
    case surveyClosed = "survey.closed"
    case surveyLinkCreated = "survey.link_created"
    case surveyLinkRotated = "survey.link_rotated"
    case surveyLinkDisabled = "survey.link_disabled"
    case workspaceBrandColorChanged = "workspace.brand_color_changed"
    case surveyDeleted = "survey.deleted"
    case goalCreated = "goal.created"
    case goalUpdated = "goal.updated"
    case goalDeleted = "goal.deleted"
    /// A person's consent recorded by a user or an API key (the UI's form, `POST …/consents`).
    case consentRecorded = "consent.recorded"
    case segmentCreated = "segment.created"
    case segmentUpdated = "segment.updated"
    case segmentDeleted = "segment.deleted"
}

/// One line of a workspace's audit log.
public struct AuditEntry: Sendable, Equatable {
    public var id: String
    public var workspaceId: String
    public var occurredAt: Int64
    public var actor: AuditActor
    public var action: String
    public var targetType: String?
    public var targetId: String?
    public var ip: String?
    public var details: [String: String]

    public init(id: String, workspaceId: String, occurredAt: Int64, actor: AuditActor, action: String,
                targetType: String?, targetId: String?, ip: String?, details: [String: String]) {
        self.id = id
        self.workspaceId = workspaceId
        self.occurredAt = occurredAt
        self.actor = actor
        self.action = action
        self.targetType = targetType
        self.targetId = targetId
        self.ip = ip
        self.details = details
    }
}
