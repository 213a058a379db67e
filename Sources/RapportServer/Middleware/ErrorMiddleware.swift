import Foundation
import Hummingbird
import Logging
import NIOCore
import RapportCore
import RapportWeb

/// The one place errors become responses: the JSON envelope for the API and operations routes, an HTML page
/// for the UI. Anything that is not a `RapportError` or a framework HTTP error is a bug: logged loudly, 500.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let routes: RouteTableBox
    let web: WebRenderer

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let failure = classify(error, request: request, bodyLimit: context.maxBodyBytes)
            if failure.kind == .internalError {
                context.logger.error("unhandled error: \(String(reflecting: error))", metadata: ["component": "http"])
            }
            var headers = HTTPFields()
            if failure.kind == .methodNotAllowed, let allow = failure.details["allow"] {
                headers[.allow] = allow
            }
            if [.rateLimited, .unavailable].contains(failure.kind), let retry = failure.details["retry_after_seconds"] {
                headers[.retryAfter] = retry
            }
            if failure.kind == .timeout {
                // The rest of the body may never come: the connection is not reused (RFC 9110 §15.5.9).
                headers[.connection] = "close"
            }
            if Self.wantsJSON(request) {
                return Self.envelope(failure, headers: headers)
            }
            headers[.contentType] = "text/html; charset=utf-8"
            let html = web.errorPage(status: Int(failure.kind.status.code), title: failure.kind.status.reasonPhrase,
                                     message: failure.message, requestID: context.requestID)
            return Response(status: failure.kind.status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
        }
    }

    func classify(_ error: any Error, request: Request, bodyLimit: Int) -> RapportError {
        if let error = error as? RapportError { return error }
        if error is NIOTooManyBytesError { return RapportError.payloadTooLarge(limit: bodyLimit) }
        if let error = error as? HTTPError {
            switch error.status {
            case .notFound:
                let allowed = routes.table.methods(matching: request.uri.path)
                if !allowed.isEmpty {
                    return RapportError(.methodNotAllowed, code: "method_not_allowed",
                                        message: "\(request.method) is not allowed here; use \(allowed.joined(separator: ", ")).",
                                        details: ["allow": allowed.joined(separator: ", ")])
                }
                return RapportError(.notFound, code: "not_found", message: "There is nothing at \(request.uri.path).")
            case .contentTooLarge:
                return RapportError.payloadTooLarge(limit: bodyLimit)
            case .badRequest:
                return RapportError(.badRequest, code: "bad_request", message: error.body ?? "The request is malformed.")
            default:
                if (400..<500).contains(error.status.code) {
                    return RapportError(.badRequest, code: "bad_request", message: error.body ?? error.status.reasonPhrase)
                }
            }
        }
        return RapportError(.internalError, code: "internal_error",
                            message: "Something went wrong on our side; the request id identifies it in the logs.")
    }

    static func wantsJSON(_ request: Request) -> Bool {
        let path = request.uri.path
        if path.hasPrefix("/api/") || path.hasPrefix("/v1/") { return true }
        if ["/healthz", "/readyz", "/metrics", "/openapi.json"].contains(path) { return true }
        return !(request.headers[.accept] ?? "").contains("text/html")
            && !(request.headers[.contentType] ?? "").contains("form")
            && request.method != .get
    }

    static func envelope(_ error: RapportError, headers: HTTPFields = [:], extraDetails: [String: JSONValue] = [:]) -> Response {
        var details: [String: JSONValue] = extraDetails
        for (key, value) in error.details { details[key] = .string(value) }
        let body: JSONValue = ["error": ["code": .string(error.code), "message": .string(error.message), "details": .object(details)]]
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: error.kind.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body.encoded())))
    }
}

extension RapportError.Kind {
    var status: HTTPResponse.Status {
        switch self {
        case .badRequest: .badRequest
        case .unauthenticated: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .conflict: .conflict
        case .payloadTooLarge: .contentTooLarge
        case .unsupportedMediaType: .unsupportedMediaType
        case .validation: .unprocessableContent
        case .rateLimited: .tooManyRequests
        case .unavailable: .serviceUnavailable
        case .internalError: .internalServerError
        case .timeout: .requestTimeout
        }
    }
}
