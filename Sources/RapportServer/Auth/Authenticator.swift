import Foundation
import Logging
import HTTPTypes
import Hummingbird
import RapportCore

/// Resolves the caller of a request: `Authorization: Bearer <key>` or the session cookie.
struct Authenticator: Sendable {
    static let sessionCookie = "rapport_session"
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!
    let access: AccessService

    /// The principal, or nil when the request carries no credentials at all.
    func principal(for request: Request) async throws -> Principal? {
        if let authorization = request.headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else { throw RapportError.unauthenticated }
            return try await access.authenticate(apiKey: String(parts[1]).trimmed)
        }
        return try await session(request)
    }

    /// The principal of the request's session cookie, if it names a live session (`withMemberships`: with the
    /// person's workspaces, for a page's chrome).
    func session(_ request: Request, withMemberships: Bool = false) async throws -> Principal? {
        guard let token = request.cookies[Self.sessionCookie]?.value, !token.isEmpty else { return nil }
        return try await access.authenticate(sessionToken: token, withMemberships: withMemberships)
    }
}

/// Requires a caller on every `/api/v1` route, and the CSRF token on state-changing calls made with a session.
struct APIAuthMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let authenticator: Authenticator

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let principal = try await authenticator.principal(for: request) else { throw RapportError.unauthenticated }
        if let session = principal.session, ![.get, .head, .options].contains(request.method) {
            guard let token = request.headers[Authenticator.csrfHeader], constantTimeEquals(token, session.csrfToken) else {
                throw RapportError(.forbidden, code: "csrf_failed",
                                   message: "Send the page's CSRF token in the X-CSRF-Token header.")
            }
        }
        var context = context
        context.principal = principal
        context.logger[metadataKey: "workspace"] = .string(principal.workspaceId)
        return try await next(request, context)
    }
}

/// Compares secrets without leaking where they differ through timing.
func constantTimeEquals(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    guard x.count == y.count else { return false }
    var difference: UInt8 = 0
    for i in 0..<x.count { difference |= x[i] ^ y[i] }
    return difference == 0
}
