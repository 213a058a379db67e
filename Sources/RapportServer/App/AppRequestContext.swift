import Hummingbird
import Logging
import RapportCore

/// Per-request state: who is calling (set by the auth middleware), the request id and the peer address.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var remoteIP: String?
    public var requestID: String = ""
    public var principal: Principal?
    /// The request body limit; the app sets it from configuration.
    public var maxBodyBytes: Int = 1 << 20
    /// How long a request body may leave its reader waiting for the next bytes; the app sets it from configuration.
    public var bodyTimeout: Duration = .seconds(30)

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteIP = source.channel.remoteAddress?.ipAddress
    }

    public var maxUploadSize: Int { maxBodyBytes }

    /// The authenticated caller, or `unauthenticated`.
    func requirePrincipal() throws(RapportError) -> Principal {
        guard let principal else { throw RapportError.unauthenticated }
        return principal
    }
}
