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

    OperationsRoutes(services: services, openAPI: openAPI).add(to: router)
    WebRoutes(services: services, web: web).add(to: router)
    TrackingRoutes(services: services).add(to: router)
    let api = router.group("api/v1").add(middleware: APIAuthMiddleware(authenticator: Authenticator(access: services.access)))
    let routes = APIRoutes(group: api)
    routes.addAccountRoutes(services)
    routes.addTeamRoutes(services)
    routes.addSecurityRoutes(services)
    routes.addCustomerRoutes(services)
    routes.addCommerceRoutes(services)
    routes.addImportRoutes(services)
    routes.addSegmentRoutes(services)
    table.set(RouteTable(router.routes))
    return router
}
