import Logging
import RapportCore
import RapportStore
import RapportWeb

/// Everything the program calls, built once over an open database: the configuration, the database client and the
/// domain services. The HTTP routes, the CLI commands and the background services all take it.
public struct AppServices: Sendable {
    public let config: AppConfig
    public let database: DatabaseClient
    public let core: CoreDependencies
    public let access: AccessService
    public let workspaces: WorkspaceService
    public let team: TeamService
    public let apiKeys: ApiKeyService
    public let audit: AuditLog
    public let ingest: IngestService
    public let customers: CustomerService
    public let orders: OrderService
    public let accounts: AccountService
    public let imports: ImportService
    public let segments: SegmentService
    public let jobs: JobService
    public let webhooks: WebhookService
    public let emails: EmailService
    public let smtpTest: SMTPTestSender
    /// Which SMTP server sends a workspace's email, and a workspace's own server for its admins.
    public let smtpSettings: WorkspaceSMTPService
    /// Seals secrets stored in the database under `SECRET_KEY`; nil without one.
    public let secretBox: (any SecretBox)?
    public let automation: AutomationService
    public let surveys: SurveyService
    public let surveyResponses: SurveyResponseService
    public let surveyInvitations: SurveyInvitationService
    /// Surveys' public links.
    public let surveyLinks: SurveyLinkService
    /// The hosted survey page's answers, by token.
    public let surveyTaking: SurveyTaking
    /// The web widget: what to show a visitor, their answers and dismissals, and identity verification.
    public let surveyWidget: SurveyWidgetService
    public let followUps: FollowUpService
    public let agentTeams: AgentTeamService
    public let surveyMetrics: SurveyMetricService
    public let goals: CXGoalService
    public let digests: DigestService
    public let urlGuard: any OutboundURLGuard

    public init(config: AppConfig, database: DatabaseClient, clock: WallClock = .system) {
        self.config = config
        self.database = database
        let secretBox = config.secretKey.map { AESGCMSecretBox(key: $0) }
        self.secretBox = secretBox
        let core = CoreDependencies(store: SQLDataStore(database: database, secretBox: secretBox), clock: clock, ids: .uuidV7(clock: clock),
                                    passwords: BcryptPasswordHasher(cost: config.bcryptCost), digest: SHA256Digest())
        self.core = core
        self.access = AccessService(core, policy: config.access)
        self.workspaces = WorkspaceService(core)
        self.team = TeamService(core)
        self.agentTeams = AgentTeamService(core)
        self.surveyMetrics = SurveyMetricService(core)
        self.goals = CXGoalService(core)
        self.apiKeys = ApiKeyService(core)
        self.audit = AuditLog(core)
        self.ingest = IngestService(core)
        self.customers = CustomerService(core)
        self.orders = OrderService(core)
        self.accounts = AccountService(core)
        self.imports = ImportService(core)
        self.segments = SegmentService(core)
        self.jobs = JobService(core)
        self.urlGuard = PublicAddressGuard(allowPrivate: config.webhookAllowPrivateNetworks)
        self.webhooks = WebhookService(core, urlGuard: urlGuard)
        self.emails = EmailService(core, settings: config.emailSettings, renderer: MustacheEmailRenderer())
        self.smtpSettings = WorkspaceSMTPService(core, serverSMTP: config.smtp, box: secretBox, urlGuard: urlGuard)
        self.smtpTest = SMTPTestSender(transports: smtpSettings)
        self.automation = AutomationService(core)
        self.surveys = SurveyService(core)
        self.surveyResponses = SurveyResponseService(core, outbox: emails.outbox)
        self.surveyInvitations = SurveyInvitationService(core, outbox: emails.outbox, publicURL: config.emailSettings.publicURL)
        self.surveyTaking = SurveyTaking(core, outbox: emails.outbox)
        self.surveyLinks = SurveyLinkService(core, publicURL: config.emailSettings.publicURL)
        self.surveyWidget = SurveyWidgetService(core, outbox: emails.outbox, mac: HMACMessageAuthenticator())
        self.followUps = FollowUpService(core, outbox: emails.outbox)
        self.digests = DigestService(core, outbox: emails.outbox, publicURL: config.emailSettings.publicURL)
    }
}
