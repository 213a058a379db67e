import Hummingbird
import RapportCore

/// Registers `/api/v1` routes, each with the least role it needs declared beside it.
struct APIRoutes {
    let group: RouterGroup<AppRequestContext>

    typealias Handler = @Sendable (Request, AppRequestContext, Principal) async throws -> Response

    func get(_ path: RouterPath, least role: Role, _ handler: @escaping Handler) { on(path, .get, role, handler) }
    func post(_ path: RouterPath, least role: Role, _ handler: @escaping Handler) { on(path, .post, role, handler) }
    func patch(_ path: RouterPath, least role: Role, _ handler: @escaping Handler) { on(path, .patch, role, handler) }
    func put(_ path: RouterPath, least role: Role, _ handler: @escaping Handler) { on(path, .put, role, handler) }
    func delete(_ path: RouterPath, least role: Role, _ handler: @escaping Handler) { on(path, .delete, role, handler) }

    private func on(_ path: RouterPath, _ method: HTTPRequest.Method, _ role: Role, _ handler: @escaping Handler) {
        group.on(path, method: method) { request, context in
            let principal = try context.requirePrincipal()
            try principal.require(role)
            return try await handler(request, context, principal)
        }
    }
}

extension Request {
    /// `?limit=&cursor=` as a page request.
    func pageRequest() throws(RapportError) -> PageRequest {
        try PageRequest.parse(limit: uri.queryParameters.get("limit"), cursor: uri.queryParameters.get("cursor"))
    }

    /// `?name=` naming one of an enum's values; nil when absent or empty, `400 invalid_parameter` for anything else.
    func enumParameter<Value: RawRepresentable & CaseIterable>(_ name: String, as type: Value.Type) throws(RapportError) -> Value?
    where Value.RawValue == String {
        guard let raw = uri.queryParameters.get(name), !raw.isEmpty else { return nil }
        guard let value = Value(rawValue: String(raw)) else {
            throw RapportError(.badRequest, code: "invalid_parameter",
                               message: "\(name) must be one of: \(Value.allCases.map(\.rawValue).joined(separator: ", ")).",
                               details: ["field": name])
        }
        return value
    }

    /// `?type=` of a timeline: a comma-separated list of activity kinds; nil when absent or empty (every kind).
    func activityKinds() throws(RapportError) -> Set<ActivityKind>? {
        guard let raw = uri.queryParameters.get("type"), !raw.isEmpty else { return nil }
        return Set(try raw.split(separator: ",", omittingEmptySubsequences: false).map { part throws(RapportError) in
            guard let kind = ActivityKind(rawValue: String(part).trimmed) else {
                throw RapportError(.badRequest, code: "invalid_parameter",
                                   message: "type must be a comma-separated list of: \(ActivityKind.allCases.map(\.rawValue).joined(separator: ", ")).",
                                   details: ["field": "type"])
            }
            return kind
        })
    }
}

extension Request {
    /// An optional query parameter that must be a UUID when present.
    func optionalUUIDParameter(_ name: String) throws(RapportError) -> String? {
        guard let raw = uri.queryParameters.get(name), !raw.isEmpty else { return nil }
        guard IDGenerator.isUUID(raw) else {
            throw RapportError(.badRequest, code: "invalid_parameter", message: "\(name) must be a UUID.", details: ["field": name])
        }
        return raw.lowercased()
    }
}

extension AppRequestContext {
    /// A path parameter that must be a UUID; anything else cannot name a record, so it is `not_found`.
    func id(_ name: String, of what: String) throws(RapportError) -> String {
        guard let raw = parameters.get(name), IDGenerator.isUUID(raw) else { throw RapportError.notFound(what) }
        return raw.lowercased()
    }
}

/// JSON responses.
enum JSONResponse {
    static func make(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(bytes: value.encoded())))
    }

    static func page<T, E: Error>(_ page: Page<T>, _ transform: (T) throws(E) -> JSONValue) throws(E) -> Response {
        var body: [String: JSONValue] = ["data": .array(try page.items.map(transform)), "next_cursor": JSONValue(page.nextCursor)]
        if let limit = page.matchLimit { body["matches_capped_at"] = .number(Double(limit)) }
        return make(.object(body))
    }

    static let noContent = Response(status: .noContent)
}
