import Foundation
import Hummingbird
import Logging
import RapportCore
import RapportWeb

/// Admits a browser with a live session to the signed-in pages: its principal goes into the request context.
/// Without one, the browser is sent to sign in (or to set Rapport up, on a fresh install). The one way the UI
/// authenticates; a page handler reads `context.requirePrincipal()`.
struct WebSessionMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let access: AccessService
    let workspaces: WorkspaceService

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let principal = try await Self.principal(request, access: access) else {
            return Redirect.to(try await workspaces.needsSetup() ? WebURL.setup : WebURL.login)
        }
        var context = context
        context.principal = principal
        context.logger[metadataKey: "workspace"] = .string(principal.workspaceId)
        return try await next(request, context)
    }

    /// The session's principal; a page read (`GET`) also reads the person's workspaces for the chrome, on the same
    /// connection (one pool checkout for both).
    static func principal(_ request: Request, access: AccessService) async throws -> Principal? {
        try await Authenticator(access: access).session(request, withMemberships: request.method == .get)
    }
}

/// Renders a page for the signed-in caller inside the chrome (navigation, workspace switcher, CSRF token).
struct PageResponder: Sendable {
    let web: WebRenderer
    let access: AccessService

    func html(_ page: some PageModel, for principal: Principal, status: HTTPResponse.Status = .ok) async throws -> Response {
        htmlResponse(web.render(page, chrome: try await chrome(principal)), status: status)
    }

    func chrome(_ principal: Principal) async throws -> PageChrome {
        let memberships = try await access.memberships(of: principal)
        return PageChrome(
            csrf: principal.session?.csrfToken ?? "",
            user: .init(email: principal.user?.email ?? "", role: principal.role.rawValue,
                        isAdmin: principal.role.satisfies(.admin), isOwner: principal.role == .owner),
            workspace: .init(id: principal.workspaceId, name: principal.workspace.name, current: true),
            workspaces: memberships.map {
                .init(id: $0.workspace.id, name: $0.workspace.name, current: $0.workspace.id == principal.workspaceId)
            })
    }
}

extension AppRequestContext {
    /// A state-changing form of a signed-in page: the form, once its `_csrf` is the session's token.
    func signedInForm(_ request: Request) async throws -> (Principal, FormBody) {
        let principal = try requirePrincipal()
        let form = try await FormBody.read(request, context: self)
        try WebCSRF.check(form["_csrf"], of: principal)
        return (principal, form)
    }
}

enum WebCSRF {
    /// The form's `_csrf` must be the session's token.
    static func check(_ sent: String?, of principal: Principal) throws(RapportError) {
        guard let sent, let session = principal.session, constantTimeEquals(sent, session.csrfToken) else {
            throw RapportError(.forbidden, code: "csrf_failed", message: "The form expired. Reload the page and try again.")
        }
    }
}

extension Principal {
    /// The time zone the workspace shows dates in (UTC until an admin sets one).
    var displayZone: TimeZone { TimeZone(identifier: workspace.timeZone) ?? DisplayDate.utc }
}
