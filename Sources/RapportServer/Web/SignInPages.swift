import Foundation
import Hummingbird
import RapportCore
import RapportWeb

/// First-run setup, sign-in, sign-out and the workspace switch: the pages a browser reaches before (or while
/// leaving) a session. Setup and sign-in forms carry a double-submit CSRF cookie instead of a session token.
struct SignInPages: Sendable {
    let access: AccessService
    let workspaces: WorkspaceService
    let web: WebRenderer
    let cookies: WebCookies

    func add(to router: Router<AppRequestContext>) {
        router.get("/setup") { request, _ in try await setupPage(request) }
        router.post("/setup") { request, context in try await setup(request, context) }
        router.get("/login") { request, _ in try await loginPage(request) }
        router.post("/login") { request, context in try await login(request, context) }
        router.post("/logout") { request, context in try await logout(request, context) }
    }

    /// Routes that need a session, on the session group.
    func addSignedIn(to pages: RouterGroup<AppRequestContext>) {
        pages.post("/switch-workspace") { request, context in try await switchWorkspace(request, context) }
    }

    private func setupPage(_ request: Request, error: String? = nil, values: [String: String] = [:],
                           status: HTTPResponse.Status = .ok) async throws -> Response {
        guard try await workspaces.needsSetup() else { return Redirect.to(WebURL.login) }
        let (token, isNew) = WebCookies.formToken(request)
        let page = SetupPage(formCsrf: token, error: error, workspace: values["workspace"] ?? "", name: values["name"] ?? "",
                             email: values["email"] ?? "")
        return htmlResponse(web.render(page), status: status, cookies: isNew ? [cookies.formCSRF(token)] : [])
    }

    private func setup(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard try await workspaces.needsSetup() else { return Redirect.to(WebURL.login) }
        let form = try await FormBody.read(request, context: context)
        try WebCookies.checkFormToken(request, form: form)
        let values = ["workspace": form["workspace"] ?? "", "name": form["name"] ?? "", "email": form["email"] ?? ""]
        do {
            guard form["password"] == form["password_confirm"] else {
                throw RapportError.invalid("password_confirm", "The two passwords differ.")
            }
            let (_, user) = try await workspaces.setUp(
                workspaceName: form["workspace"] ?? "", ownerEmail: form["email"] ?? "", ownerName: form["name"],
                password: form["password"] ?? "", ip: context.remoteIP)
            let signedIn = try await access.signIn(email: user.email, password: form["password"] ?? "", ip: context.remoteIP)
            return Redirect.to(WebURL.home, cookies: [cookies.session(signedIn.token)])
        } catch let error as RapportError where error.kind == .validation {
            return try await setupPage(request, error: error.message, values: values, status: .unprocessableContent)
        }
    }

    private func loginPage(_ request: Request, error: String? = nil, email: String = "",
                           status: HTTPResponse.Status = .ok) async throws -> Response {
        if try await workspaces.needsSetup() { return Redirect.to(WebURL.setup) }
        if status == .ok, try await WebSessionMiddleware.principal(request, access: access) != nil { return Redirect.to(WebURL.home) }
        let (token, isNew) = WebCookies.formToken(request)
        let html = web.render(LoginPage(formCsrf: token, error: error, email: email))
        return htmlResponse(html, status: status, cookies: isNew ? [cookies.formCSRF(token)] : [])
    }

    private func login(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await FormBody.read(request, context: context)
        try WebCookies.checkFormToken(request, form: form)
        let email = form["email"] ?? ""
        do {
            let signedIn = try await access.signIn(email: email, password: form["password"] ?? "", ip: context.remoteIP)
            return Redirect.to(WebURL.home, cookies: [cookies.session(signedIn.token)])
        } catch let error as RapportError where [.unauthenticated, .rateLimited, .forbidden].contains(error.kind) {
            var page = try await loginPage(request, error: error.message, email: email, status: error.kind.status)
            if error.kind == .rateLimited, let retry = error.details["retry_after_seconds"] { page.headers[.retryAfter] = retry }
            return page
        }
    }

    /// Signs out when the session is live and the form is its own; always clears the cookie.
    private func logout(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        if let principal = try await WebSessionMiddleware.principal(request, access: access) {
            let form = try await FormBody.read(request, context: context)
            try WebCSRF.check(form["_csrf"], of: principal)
            try await access.signOut(principal, ip: context.remoteIP)
        }
        return Redirect.to(WebURL.login, cookies: [cookies.clearedSession()])
    }

    private func switchWorkspace(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (principal, form) = try await context.signedInForm(request)
        let id = (form["workspace_id"] ?? "").lowercased()
        guard IDGenerator.isUUID(id) else { throw RapportError.notFound("workspace") }
        try await access.switchWorkspace(principal, to: id)
        return Redirect.to(WebURL.home)
    }
}
