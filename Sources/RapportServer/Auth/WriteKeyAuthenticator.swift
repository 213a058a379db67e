import Foundation
import Hummingbird
import RapportCore

/// Authenticates the tracking API's callers: a track-scoped key sent as the HTTP Basic user name (Segment's write
/// key convention), as a bearer token, or as `writeKey` in the body. The one way a tracking caller is authenticated.
struct WriteKeyAuthenticator: Sendable {
    let access: AccessService

    /// The workspace of the request's write key; the header wins over the body's `writeKey`.
    func workspace(_ request: Request, bodyKey: String?) async throws -> Workspace {
        guard let secret = try Self.basicUser(request) ?? bodyKey, !secret.isEmpty else {
            throw RapportError(.unauthenticated, code: "unauthenticated",
                               message: "Send a track key as the HTTP Basic user name (Segment's write key convention).")
        }
        return try await access.authenticate(writeKey: secret).1
    }

    /// The user name of HTTP Basic credentials (Segment sends the write key there with an empty password).
    static func basicUser(_ request: Request) throws(RapportError) -> String? {
        guard let header = request.headers[.authorization] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { throw RapportError.unauthenticated }
        switch parts[0].lowercased() {
        case "basic":
            guard let data = Data(base64Encoded: String(parts[1])), let text = String(data: data, encoding: .utf8) else {
                throw RapportError.unauthenticated
            }
            return String(text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
        case "bearer":
            return String(parts[1])
        default:
            throw RapportError.unauthenticated
        }
    }

}
