import RapportWeb
import Foundation
import Hummingbird
import RapportCore
import RapportRuntime

/// The browser UI: first-run setup, sign-in, the overview and the settings pages.
struct WebRoutes: Sendable {
    let services: AppServices
    let web: WebRenderer
    let authenticator: Authenticator
    let cookies: WebCookies

    init(services: AppServices, web: WebRenderer) {
        self.services = services
        self.web = web
        self.authenticator = Authenticator(access: services.access)
        self.cookies = WebCookies(secure: services.config.cookieSecure,
                                  sessionTTLSeconds: Int(services.config.access.sessionTTLMillis / 1000))
    }

    func add(to router: Router<AppRequestContext>) {
        router.get("/") { request, _ in try await withSession(request) { principal in try await dashboard(principal) } }
        router.get("/setup") { request, _ in try await setupPage(request) }
        router.post("/setup") { request, context in try await setup(request, context) }
        router.get("/login") { request, _ in try await loginPage(request) }
        router.post("/login") { request, context in try await login(request, context) }
        router.post("/logout") { request, context in try await logout(request, context) }
        router.post("/switch-workspace") { request, context in try await switchWorkspace(request, context) }
        router.get("/settings/team") { request, _ in try await withSession(request) { try await teamPage($0, error: nil) } }
        router.post("/settings/team") { request, context in try await addMember(request, context) }
        router.get("/settings/api-keys") { request, _ in
            try await withSession(request) { try await apiKeysPage($0, newSecret: nil, error: nil) }
        }
        router.post("/settings/api-keys") { request, context in try await createKey(request, context) }
        router.post("/settings/api-keys/:key_id/revoke") { request, context in try await revokeKey(request, context) }
        addCustomerPages(to: router)
        addImportPages(to: router)
        addAccountPages(to: router)
        router.get("/settings/audit-log") { request, _ in try await withSession(request) { try await auditPage($0, request) } }
        // Any site may load the tracking client.
        router.get("/rapport.js") { _, _ in
            var response = try asset("rapport.js")
            response.headers[.accessControlAllowOrigin] = "*"
            return response
        }
        router.get("/static/:file") { _, context in try asset(context.parameters.get("file") ?? "") }
    }

    /// A static asset from RapportWeb's resources.
    private func asset(_ name: String) throws(RapportError) -> Response {
        guard let asset = web.assets[name] else {
            throw RapportError(.notFound, code: "not_found", message: "No such file.")
        }
        return Response(status: .ok, headers: [.contentType: asset.contentType, .cacheControl: "public, max-age=300"],
                        body: .init(byteBuffer: ByteBuffer(string: asset.body)))
    }

    // MARK: Sessions

    func sessionPrincipal(_ request: Request) async throws -> Principal? {
        guard let token = request.cookies[Authenticator.sessionCookie]?.value, !token.isEmpty else { return nil }
        return try await services.access.authenticate(sessionToken: token)
    }

    func withSession(_ request: Request, _ body: (Principal) async throws -> Response) async throws -> Response {
        guard let principal = try await sessionPrincipal(request) else {
            return Redirect.to(try await services.workspaces.needsSetup() ? "/setup" : "/login")
        }
        return try await body(principal)
    }

    /// For state-changing forms of a signed-in person: the session and its CSRF token in `_csrf`.
    func signedInForm(_ request: Request, _ context: AppRequestContext) async throws -> (Principal, FormBody)? {
        guard let principal = try await sessionPrincipal(request) else { return nil }
        let form = try await FormBody.read(request, context: context)
        try checkCSRF(form["_csrf"], of: principal)
        return (principal, form)
    }

    /// The form's `_csrf` must be the session's token.
    func checkCSRF(_ sent: String?, of principal: Principal) throws(RapportError) {
        guard let sent, let session = principal.session, constantTimeEquals(sent, session.csrfToken) else {
            throw RapportError(.forbidden, code: "csrf_failed", message: "The form expired. Reload the page and try again.")
        }
    }

    func page(_ principal: Principal, _ extra: [String: Any]) async throws -> [String: Any] {
        let memberships = try await services.access.memberships(of: principal)
        var context: [String: Any] = [
            "csrf": principal.session?.csrfToken ?? "",
            "workspace": ["id": principal.workspaceId, "name": principal.workspace.name],
            "user": [
                "email": principal.user?.email ?? "", "role": principal.role.rawValue,
                "is_admin": principal.role.satisfies(.admin), "is_owner": principal.role == .owner,
            ] as [String: Any],
            "has_many_workspaces": memberships.count > 1,
            "workspaces": memberships.map { ["id": $0.workspace.id, "name": $0.workspace.name,
                                             "current": $0.workspace.id == principal.workspaceId] as [String: Any] },
        ]
        for (key, value) in extra { context[key] = value }
        return context
    }

    // MARK: Setup and sign-in

    private func setupPage(_ request: Request, error: String? = nil, values: [String: String] = [:],
                           status: HTTPResponse.Status = .ok) async throws -> Response {
        guard try await services.workspaces.needsSetup() else { return Redirect.to("/login") }
        let (token, isNew) = WebCookies.formToken(request)
        let html = web.render("setup", ["form_csrf": token, "error": error as Any, "values": values])
        return htmlResponse(html, status: status, cookies: isNew ? [cookies.formCSRF(token)] : [])
    }

    private func setup(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard try await services.workspaces.needsSetup() else { return Redirect.to("/login") }
        let form = try await FormBody.read(request, context: context)
        try WebCookies.checkFormToken(request, form: form)
        let values = ["workspace": form["workspace"] ?? "", "name": form["name"] ?? "", "email": form["email"] ?? ""]
        do {
            guard form["password"] == form["password_confirm"] else {
                throw RapportError.invalid("password_confirm", "The two passwords differ.")
            }
            let (_, user) = try await services.workspaces.setUp(
                workspaceName: form["workspace"] ?? "", ownerEmail: form["email"] ?? "", ownerName: form["name"],
                password: form["password"] ?? "", ip: context.remoteIP)
            let signedIn = try await services.access.signIn(email: user.email, password: form["password"] ?? "",
                                                            ip: context.remoteIP)
            return Redirect.to("/", cookies: [cookies.session(signedIn.token)])
        } catch let error as RapportError where error.kind == .validation {
            return try await setupPage(request, error: error.message, values: values, status: .unprocessableContent)
        }
    }

    private func loginPage(_ request: Request, error: String? = nil, email: String = "",
                           status: HTTPResponse.Status = .ok) async throws -> Response {
        if try await services.workspaces.needsSetup() { return Redirect.to("/setup") }
        if status == .ok, try await sessionPrincipal(request) != nil { return Redirect.to("/") }
        let (token, isNew) = WebCookies.formToken(request)
        let html = web.render("login", ["form_csrf": token, "error": error as Any, "values": ["email": email]])
        return htmlResponse(html, status: status, cookies: isNew ? [cookies.formCSRF(token)] : [])
    }

    private func login(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await FormBody.read(request, context: context)
        try WebCookies.checkFormToken(request, form: form)
        let email = form["email"] ?? ""
        do {
            let signedIn = try await services.access.signIn(email: email, password: form["password"] ?? "", ip: context.remoteIP)
            return Redirect.to("/", cookies: [cookies.session(signedIn.token)])
        } catch let error as RapportError where [.unauthenticated, .rateLimited, .forbidden].contains(error.kind) {
            return try await loginPage(request, error: error.message, email: email, status: error.kind.status)
        }
    }

    private func logout(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        if let (principal, _) = try await signedInForm(request, context) {
            try await services.access.signOut(principal, ip: context.remoteIP)
        }
        return Redirect.to("/login", cookies: [cookies.clearedSession()])
    }

    private func switchWorkspace(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let (principal, form) = try await signedInForm(request, context) else { return Redirect.to("/login") }
        let id = (form["workspace_id"] ?? "").lowercased()
        guard IDGenerator.isUUID(id) else { throw RapportError.notFound("workspace") }
        try await services.access.switchWorkspace(principal, to: id)
        return Redirect.to("/")
    }

    // MARK: Pages

    private func dashboard(_ principal: Principal) async throws -> Response {
        let members = try await services.team.list(principal, page: PageRequest(limit: PageRequest.maxLimit))
        var extra: [String: Any] = ["member_count": members.items.count]
        if principal.role.satisfies(Permission.readData.leastRole) {
            extra["customer_count"] = try await services.customers.count(principal)
            let rate = try await services.orders.repeatPurchaseRate(principal)
            let percent = { (value: Double) in String(format: "%.1f %%", value * 100) }
            extra["purchases"] = [
                "purchasers": rate.purchasers, "repeat_purchasers": rate.repeatPurchasers,
                "rate": rate.rate.map(percent) ?? "no buyers yet",
                "interval": rate.interval.map { "\(percent($0.low)) – \(percent($0.high))" } as Any,
            ] as [String: Any]
        }
        if principal.role.satisfies(.admin) {
            let keys = try await services.apiKeys.list(principal, page: PageRequest(limit: PageRequest.maxLimit))
            extra["active_key_count"] = keys.items.filter { !$0.isRevoked }.count
        }
        return htmlResponse(web.render("dashboard", try await page(principal, extra)))
    }

    private func teamPage(_ principal: Principal, error: String?, flash: String? = nil,
                          status: HTTPResponse.Status = .ok) async throws -> Response {
        let members = try await services.team.list(principal, page: PageRequest(limit: PageRequest.maxLimit))
        let rows = members.items.map { member -> [String: Any] in
            ["email": member.user.email, "name": member.user.name ?? "", "role": member.role.rawValue,
             "joined_at": Timestamp.iso8601(member.joinedAt),
             "last_login_at": member.user.lastLoginAt.map(Timestamp.iso8601) ?? "never"]
        }
        let context = try await page(principal, ["members": rows, "error": error as Any, "flash": flash as Any])
        return htmlResponse(web.render("team", context), status: status)
    }

    private func addMember(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let (principal, form) = try await signedInForm(request, context) else { return Redirect.to("/login") }
        do {
            let role = try Validation.oneOf(form["role"], field: "role", as: Role.self)
            let password = form["password"].flatMap { $0.isEmpty ? nil : $0 }
            let name = form["name"].flatMap { $0.trimmed.isEmpty ? nil : $0 }
            let member = try await services.team.add(principal, workspaceId: principal.workspaceId, email: form["email"] ?? "",
                                                     role: role, name: name, password: password, ip: context.remoteIP)
            return try await teamPage(principal, error: nil, flash: "\(member.user.email) was added as \(role.rawValue).")
        } catch let error as RapportError where [.validation, .conflict, .forbidden].contains(error.kind) {
            return try await teamPage(principal, error: error.message, status: error.kind.status)
        }
    }

    private func apiKeysPage(_ principal: Principal, newSecret: String?, error: String?,
                             status: HTTPResponse.Status = .ok) async throws -> Response {
        let keys = try await services.apiKeys.list(principal, page: PageRequest(limit: PageRequest.maxLimit))
        let csrf = principal.session?.csrfToken ?? ""
        let rows = keys.items.map { key -> [String: Any] in
            ["id": key.id, "name": key.name, "scope": key.scope.rawValue, "prefix": key.prefix, "csrf": csrf,
             "created_at": Timestamp.iso8601(key.createdAt),
             "last_used_at": key.lastUsedAt.map(Timestamp.iso8601) ?? "never",
             "revoked_at": key.revokedAt.map(Timestamp.iso8601) as Any]
        }
        let context = try await page(principal, ["keys": rows, "new_secret": newSecret as Any, "error": error as Any])
        return htmlResponse(web.render("api_keys", context), status: status)
    }

    private func createKey(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let (principal, form) = try await signedInForm(request, context) else { return Redirect.to("/login") }
        do {
            let scope = try Validation.oneOf(form["scope"], field: "scope", as: ApiKeyScope.self)
            let (_, secret) = try await services.apiKeys.create(principal, workspaceId: principal.workspaceId,
                                                                name: form["name"] ?? "", scope: scope, ip: context.remoteIP)
            return try await apiKeysPage(principal, newSecret: secret, error: nil, status: .created)
        } catch let error as RapportError where error.kind == .validation {
            return try await apiKeysPage(principal, newSecret: nil, error: error.message, status: .unprocessableContent)
        }
    }

    private func revokeKey(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let (principal, _) = try await signedInForm(request, context) else { return Redirect.to("/login") }
        try await services.apiKeys.revoke(principal, id: try context.id("key_id", of: "API key"), ip: context.remoteIP)
        return Redirect.to("/settings/api-keys")
    }

    private func auditPage(_ principal: Principal, _ request: Request) async throws -> Response {
        let page = try await services.audit.list(principal, action: nil, page: try request.pageRequest())
        let rows = page.items.map { entry -> [String: Any] in
            ["occurred_at": Timestamp.iso8601(entry.occurredAt), "actor": entry.actor.label ?? entry.actor.type.rawValue,
             "action": entry.action, "target": [entry.targetType, entry.targetId].compactMap { $0 }.joined(separator: " "),
             "ip": entry.ip ?? "",
             "details": entry.details.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")]
        }
        let context = try await self.page(principal, ["entries": rows, "next_cursor": page.nextCursor as Any])
        return htmlResponse(web.render("audit_log", context))
    }
}
