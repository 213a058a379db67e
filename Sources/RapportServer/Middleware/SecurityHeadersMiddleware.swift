import Hummingbird
import HTTPTypes

/// The response headers of OWASP's secure-headers list for an app with a session cookie. Every answer gets
/// `nosniff`; HTML pages also get a Content-Security-Policy that they meet (scripts, styles and images only from
/// Rapport itself, no inline code, no framing), a same-origin referrer and opener policy and `no-store`, so that a
/// signed-in page is neither framed (clickjacking), nor kept in a shared cache, nor leaks its URL to other sites.
/// JSON answers get the locked-down policy OWASP recommends for APIs. `rapport.js` and the tracking API stay
/// loadable from any site (CORS is `TrackingCORSMiddleware`'s).
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    /// Sends `Strict-Transport-Security`: only behind HTTPS (the same setting that marks the cookie `Secure`).
    let https: Bool

    static let pagePolicy = [
        "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
        "connect-src 'self'", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'", "object-src 'none'",
    ].joined(separator: "; ")
    static let apiPolicy = "default-src 'none'; frame-ancestors 'none'"
    static let permissionsPolicy = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        Self.apply(to: &response.headers, https: https)
        return response
    }

    static func apply(to headers: inout HTTPFields, https: Bool) {
        headers[.xContentTypeOptions] = "nosniff"
        let contentType = headers[.contentType] ?? ""
        if contentType.hasPrefix("text/html") {
            headers[.contentSecurityPolicy] = pagePolicy
            headers[Self.xFrameOptions] = "DENY"
            headers[Self.referrerPolicy] = "same-origin"
            headers[Self.crossOriginOpenerPolicy] = "same-origin"
            headers[.crossOriginResourcePolicy] = "same-origin"
            headers[Self.permissionsPolicyName] = permissionsPolicy
            headers[.cacheControl] = "no-store"
        } else if contentType.hasPrefix("application/json") {
            headers[.contentSecurityPolicy] = apiPolicy
            headers[Self.referrerPolicy] = "no-referrer"
            if headers[.cacheControl] == nil { headers[.cacheControl] = "no-store" }
        }
        if https { headers[.strictTransportSecurity] = "max-age=31536000; includeSubDomains" }
    }

    static let permissionsPolicyName = HTTPField.Name("Permissions-Policy")!
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let crossOriginOpenerPolicy = HTTPField.Name("Cross-Origin-Opener-Policy")!
}
