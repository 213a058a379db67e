import Foundation
import Hummingbird
import Logging
import NIOCore
import RapportCore
import RapportRuntime
import RapportStore
import RapportWeb

/// Builds the HTTP application over the runtime's services: templates, routes, middleware. It is one `Service`;
/// `Runtime.run(front:)` runs it beside the background services.
public func buildApplication(services: AppServices, logger: Logger) async throws -> some ApplicationProtocol {
    let router = try await buildRouter(services: services)
    // A connection that sends nothing for twice the body timeout is closed: idle keep-alive connections, and one whose
    // request was answered `408` while the rest of its body never came.
    let idle = TimeAmount.seconds(Int64(services.config.bodyTimeoutSeconds) * 2)
    return Application(
        router: router,
        server: .http1(configuration: .init(idleTimeout: idle)),
        configuration: .init(address: .hostname(services.config.host, port: services.config.port), serverName: "Rapport"),
        logger: logger
    )
}

/// The router alone, for in-process tests; loads the templates.
public func buildRouter(services: AppServices) async throws -> Router<AppRequestContext> {
    try buildRouter(services: services, web: try await WebRenderer.load())
}

/// The router over already loaded templates.
public func buildRouter(services: AppServices, web: WebRenderer) throws -> Router<AppRequestContext> {
    _ = RapportMetrics.registry
    guard let openAPIURL = Bundle.module.url(forResource: "openapi", withExtension: "json", subdirectory: "Resources")
            ?? Bundle.module.url(forResource: "openapi", withExtension: "json") else {
        throw ConfigError("the OpenAPI document is missing from the build")
    }
    let openAPI = try Data(contentsOf: openAPIURL)
    let router = Router(context: AppRequestContext.self)
    let table = RouteTableBox()
    router.add(middleware: RequestIDMiddleware(maxBodyBytes: services.config.maxBodyBytes,
                                                 bodyTimeout: .seconds(services.config.bodyTimeoutSeconds)))
    router.add(middleware: SecurityHeadersMiddleware(https: services.config.cookieSecure))
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: TrackingCORSMiddleware())
    router.add(middleware: ErrorMiddleware(routes: table, web: web))
    router.add(middleware: QueryParameterMiddleware())

    // Each area is mounted with the one authentication its callers use and only the services it needs.
    OperationsRoutes(database: services.database, openAPI: openAPI).add(to: router)
    AssetRoutes(web: web).add(to: router)
    TrackingRoutes(ingest: services.ingest, writeKeys: WriteKeyAuthenticator(access: services.access),
                   clock: services.core.clock, ids: services.core.ids).add(to: router)
    WidgetRoutes(widget: services.surveyWidget, writeKeys: WriteKeyAuthenticator(access: services.access),
                 clock: services.core.clock).add(to: router)
    addWebPages(to: router, services: services, web: web)
    let api = APIRoutes(group: router.group("api/v1")
        .add(middleware: APIAuthMiddleware(authenticator: Authenticator(access: services.access))))
    api.addAccountRoutes(access: services.access, workspaces: services.workspaces)
    api.addTeamRoutes(team: services.team)
    api.addAgentTeamRoutes(teams: services.agentTeams)
    api.addSecurityRoutes(apiKeys: services.apiKeys, audit: services.audit)
    api.addCustomerRoutes(customers: services.customers, orders: services.orders)
    api.addCommerceRoutes(orders: services.orders, accounts: services.accounts)
    api.addImportRoutes(imports: services.imports)
    api.addSegmentRoutes(segments: services.segments, customers: services.customers)
    api.addJobRoutes(jobs: services.jobs)
    api.addWebhookRoutes(webhooks: services.webhooks)
    api.addEmailRoutes(emails: services.emails, smtpSettings: services.smtpSettings, smtpTest: services.smtpTest)
    api.addAutomationRoutes(automation: services.automation)
    api.addSurveyRoutes(surveys: services.surveys, responses: services.surveyResponses)
    api.addSurveyInvitationRoutes(invitations: services.surveyInvitations)
    api.addSurveyLinkRoutes(links: services.surveyLinks)
    api.addSurveyWidgetRoutes(widget: services.surveyWidget)
    api.addFollowUpRoutes(followUps: services.followUps, clock: services.core.clock)
    api.addMetricRoutes(metrics: services.surveyMetrics, clock: services.core.clock)
    api.addGoalRoutes(goals: services.goals, digests: services.digests)
    table.set(RouteTable(router.routes))
    return router
}

/// The browser UI: the sign-in pages on the router, every other page on a group behind the session middleware.
private func addWebPages(to router: Router<AppRequestContext>, services: AppServices, web: WebRenderer) {
    let cookies = WebCookies(secure: services.config.cookieSecure,
                             sessionTTLSeconds: Int(services.config.access.sessionTTLMillis / 1000))
    let signIn = SignInPages(access: services.access, workspaces: services.workspaces, web: web, cookies: cookies)
    signIn.add(to: router)
    UnsubscribePages(emails: services.emails, web: web).add(to: router)
    TakeSurveyPages(taking: services.surveyTaking, web: web, clock: services.core.clock,
                    secureCookies: services.config.cookieSecure).add(to: router)
    BrandStyleRoutes().add(to: router)
    let session = router.group().add(middleware: WebSessionMiddleware(access: services.access, workspaces: services.workspaces))
    let pages = PageResponder(web: web, access: services.access)
    signIn.addSignedIn(to: session)
    SettingsPages(workspaces: services.workspaces, team: services.team, agentTeams: services.agentTeams, apiKeys: services.apiKeys, audit: services.audit,
                  clock: services.core.clock,
                  publicURL: services.config.emailSettings.publicURL, pages: pages)
        .add(to: session)
    DashboardPages(metrics: services.surveyMetrics, surveys: services.surveys, responses: services.surveyResponses,
                   segments: services.segments, followUps: services.followUps, goals: services.goals, team: services.team,
                   customers: services.customers, orders: services.orders, clock: services.core.clock, pages: pages,
                   cache: SnapshotCache(settings: services.config.dashboardCache, clock: services.core.clock))
        .add(to: session)
    CustomerPages(customers: services.customers, segments: services.segments, pages: pages).add(to: session)
    GoalPages(goals: services.goals, digests: services.digests, surveys: services.surveys, segments: services.segments, pages: pages)
        .add(to: session)
    AccountPages(accounts: services.accounts, customers: services.customers, pages: pages).add(to: session)
    ImportPages(imports: services.imports, pages: pages).add(to: session)
    JobPages(jobs: services.jobs, pages: pages).add(to: session)
    WebhookPages(webhooks: services.webhooks, pages: pages, clock: services.core.clock).add(to: session)
    SurveyPages(surveys: services.surveys, responses: services.surveyResponses, invitations: services.surveyInvitations,
                links: services.surveyLinks, segments: services.segments, pages: pages).add(to: session)
    SurveyEditorPages(surveys: services.surveys,
                      previews: SurveyPreviewing(services.core, outbox: services.emails.outbox,
                                                 publicURL: services.config.emailSettings.publicURL),
                      pages: pages).add(to: session)
    FollowUpPages(followUps: services.followUps, surveys: services.surveys, team: services.team,
                  agentTeams: services.agentTeams, clock: services.core.clock,
                  pages: pages).add(to: session)
    EmailPages(emails: services.emails, smtpSettings: services.smtpSettings, smtpTest: services.smtpTest,
               ratePerMinute: services.config.emailRatePerMinute, pages: pages).add(to: session)
    AutomationPages(automation: services.automation, webhooks: services.webhooks, emails: services.emails,
                    surveys: services.surveys, pages: pages)
        .add(to: session)
}
