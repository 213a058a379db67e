import Foundation
import Hummingbird
import Logging
import NIOCore
import RapportCore
import RapportStore
import RapportWeb

/// Builds the whole HTTP application on an open database: routes, middleware, services.
public func buildApplication(services: AppServices, logger: Logger) throws -> some ApplicationProtocol {
    let router = try buildRouter(services: services)
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

/// The router alone, for in-process tests.
public func buildRouter(services: AppServices) throws -> Router<AppRequestContext> {
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
    router.add(middleware: ErrorMiddleware(routes: table, web: services.web))
    router.add(middleware: QueryParameterMiddleware())

    OperationsRoutes(services: services, openAPI: openAPI).add(to: router)
    WebRoutes(services: services).add(to: router)
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

/// Loads the templates and opens the services for `config` on an open database.
public func makeServices(config: AppConfig, database: DatabaseClient, clock: WallClock = .system) async throws -> AppServices {
    AppServices(config: config, database: database, clock: clock, web: try await WebRenderer.load())
}
