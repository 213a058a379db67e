/// The one error type every area throws; the server maps `kind` to an HTTP status and renders the envelope
/// `{"error":{"code","message","details"}}`.
public struct RapportError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case badRequest, unauthenticated, forbidden, notFound, methodNotAllowed, conflict, payloadTooLarge
        case unsupportedMediaType, validation, rateLimited, unavailable, internalError
        /// The client took too long to send its request.
        case timeout
    }

    public var kind: Kind
    public var code: String
    public var message: String
    public var details: [String: String]

    public init(_ kind: Kind, code: String, message: String, details: [String: String] = [:]) {
        self.kind = kind
        self.code = code
        self.message = message
        self.details = details
    }

    public var description: String { "\(code): \(message)" }

    public static func notFound(_ what: String) -> RapportError {
        RapportError(.notFound, code: "not_found", message: "No \(what) with that id exists in this workspace.")
    }

    public static func invalid(_ field: String, _ message: String) -> RapportError {
        RapportError(.validation, code: "validation_failed", message: message, details: ["field": field])
    }

    /// A signing secret stored sealed under another `SECRET_KEY` than this server's.
    public static let secretUnreadable = RapportError(
        .unavailable, code: "secret_unreadable",
        message: "A signing secret is sealed under another SECRET_KEY than this server's: restore that key, or make a new "
            + "secret (rotate the webhook endpoint's or the survey widget's secret)."
    )

    public static func forbidden(_ message: String) -> RapportError {
        RapportError(.forbidden, code: "forbidden", message: message)
    }

    public static let unauthenticated = RapportError(
        .unauthenticated, code: "unauthenticated",
        message: "Sign in or send a valid API key as 'Authorization: Bearer <key>'."
    )
}
