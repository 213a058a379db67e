import HTTPTypes
import Foundation
import Hummingbird
import Logging
import RapportCore

/// Gives every request an id (the caller's `X-Request-Id` when it is a safe token), puts it in the logger's
/// metadata and the response header, applies the body limits and writes one access-log line.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    static let header = HTTPField.Name("X-Request-Id")!
    let maxBodyBytes: Int
    let bodyTimeout: Duration

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let incoming = request.headers[Self.header]
        let id = incoming.flatMap(Self.isSafe) == true ? incoming! : Self.makeID()
        context.requestID = id
        context.maxBodyBytes = maxBodyBytes
        context.bodyTimeout = bodyTimeout
        context.logger[metadataKey: "request_id"] = .string(id)
        let start = ContinuousClock.now
        var response = try await next(request, context)
        response.headers[Self.header] = id
        let elapsed = ContinuousClock.now - start
        // Tenths of a millisecond, formatted without Foundation's `String(format:)` (costly at thousands a second).
        let tenths = elapsed.components.seconds * 10_000 + (elapsed.components.attoseconds + 50_000_000_000_000) / 100_000_000_000_000
        context.logger.info("\(request.method) \(request.uri.path) \(response.status.code)", metadata: [
            "component": "http", "status": .stringConvertible(response.status.code),
            "duration_ms": .string("\(tenths / 10).\(tenths % 10)"),
        ])
        return response
    }

    static func isSafe(_ value: String) -> Bool {
        (1...64).contains(value.count) && value.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
    }

    static func makeID() -> String { SecretToken.make(bytes: 12) }
}
