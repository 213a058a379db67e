import Hummingbird
import NIOConcurrencyHelpers

/// The routes the router serves, as path templates, for `405 Method Not Allowed` and the OpenAPI check.
public struct RouteTable: Sendable {
    public struct Route: Sendable, Hashable {
        public let method: String
        /// `/api/v1/users/{user_id}`
        public let path: String
    }

    public let routes: [Route]

    init(_ descriptions: [Router<AppRequestContext>.RouteDescription]) {
        routes = descriptions.map { Route(method: $0.method.rawValue, path: Self.template($0.path.description)) }
    }

    /// Methods registered for a concrete path, e.g. `/api/v1/users/123` → `["DELETE", "GET", "PATCH"]`.
    /// Like the router, a literal segment wins over a parameter: `/segments/preview` is not `/segments/{id}`.
    func methods(matching path: String) -> [String] {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        let matching = routes.compactMap { route -> (Route, Int)? in
            let template = route.path.split(separator: "/", omittingEmptySubsequences: true)
            guard template.count == parts.count,
                  zip(template, parts).allSatisfy({ $0.hasPrefix("{") || $0 == $1 }) else { return nil }
            return (route, template.filter { $0.hasPrefix("{") }.count)
        }
        guard let fewest = matching.map(\.1).min() else { return [] }
        return Set(matching.filter { $0.1 == fewest }.map(\.0.method)).sorted()
    }

    /// `/api/v1/users/:user_id` → `/api/v1/users/{user_id}`.
    static func template(_ path: String) -> String {
        "/" + path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
    }
}

/// Holds the route table, filled in once every route is registered (middleware is added before routes).
public final class RouteTableBox: Sendable {
    private let storage = NIOLockedValueBox(RouteTable([]))

    func set(_ table: RouteTable) { storage.withLockedValue { $0 = table } }

    public var table: RouteTable { storage.withLockedValue { $0 } }
}
