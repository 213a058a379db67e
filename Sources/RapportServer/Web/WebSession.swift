import Foundation
import Hummingbird
import RapportCore

/// Cookies of the browser UI: the session cookie and the pre-session CSRF cookie of the sign-in forms.
struct WebCookies: Sendable {
    static let csrfCookie = "rapport_csrf"
    let secure: Bool
    let sessionTTLSeconds: Int

    func session(_ token: String) -> Cookie {
        Cookie(name: Authenticator.sessionCookie, value: token, maxAge: sessionTTLSeconds, path: "/", secure: secure,
               httpOnly: true, sameSite: .lax)
    }

    func clearedSession() -> Cookie {
        Cookie(name: Authenticator.sessionCookie, value: "", maxAge: 0, path: "/", secure: secure, httpOnly: true,
               sameSite: .lax)
    }

    func formCSRF(_ token: String) -> Cookie {
        Cookie(name: Self.csrfCookie, value: token, maxAge: 3600, path: "/", secure: secure, httpOnly: true, sameSite: .lax)
    }

    /// The CSRF token of a sign-in form: the one already in the cookie, or a new one.
    static func formToken(_ request: Request) -> (token: String, isNew: Bool) {
        if let existing = request.cookies[csrfCookie]?.value, existing.count >= 20 { return (existing, false) }
        return (SecretToken.make(bytes: 24), true)
    }

    /// Double-submit check: the form's `_csrf` must equal the cookie.
    static func checkFormToken(_ request: Request, form: FormBody) throws(RapportError) {
        guard let cookie = request.cookies[csrfCookie]?.value, let sent = form["_csrf"],
              !cookie.isEmpty, constantTimeEquals(cookie, sent) else {
            throw RapportError(.forbidden, code: "csrf_failed",
                               message: "The form expired or came from another site. Reload the page and try again.")
        }
    }
}

enum Redirect {
    static func to(_ location: String, cookies: [Cookie] = []) -> Response {
        var response = Response(status: .seeOther, headers: [.location: location])
        for cookie in cookies { response.setCookie(cookie) }
        return response
    }
}

/// An HTML response.
func htmlResponse(_ html: String, status: HTTPResponse.Status = .ok, cookies: [Cookie] = []) -> Response {
    var response = Response(status: status, headers: [.contentType: "text/html; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: html)))
    for cookie in cookies { response.setCookie(cookie) }
    return response
}
