import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import RapportCore
import RapportRuntime
import RapportServer
import RapportStore
import SQLKit

/// Boots the real application in-process on a fresh database: a temp SQLite file, or, when
/// `RAPPORT_TEST_DATABASE_URL` names PostgreSQL, a fresh schema on that server (dropped afterwards).
enum TestApp {
    static let postgresURL: String? = {
        guard let url = ProcessInfo.processInfo.environment["RAPPORT_TEST_DATABASE_URL"], url.hasPrefix("postgres") else { return nil }
        return url
    }()

    static var backendName: String { postgresURL == nil ? "sqlite" : "postgres" }

    /// At most 16 PostgreSQL-backed tests at a time (each may hold up to 16 connections; the test cluster allows 500).
    static let postgresGate = TestGate(limit: 16)

    /// A database of the suite's backend with `migrations` applied (all of them by default), removed after `body`.
    static func withDatabase<T>(migrations: [Migration] = Migrations.all, _ body: (DatabaseClient) async throws -> T)
        async throws -> T {
        // Each PostgreSQL test opens two pools of up to 8 connections; Swift Testing starts every test at once, so
        // without a bound the suite outgrows the server's max_connections as it grows (it did at 286 tests). A test
        // that opens a second database inside the first keeps its place (no deadlock on a full gate).
        guard postgresURL != nil, !holdsGate else { return try await openDatabase(migrations: migrations, body) }
        await postgresGate.enter()
        defer { Task { await postgresGate.leave() } }
        return try await $holdsGate.withValue(true) { try await openDatabase(migrations: migrations, body) }
    }

    @TaskLocal static var holdsGate = false

    private static func openDatabase<T>(migrations: [Migration], _ body: (DatabaseClient) async throws -> T) async throws -> T {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let url: DatabaseURL
        var cleanup: () async throws -> Void = {}
        if let postgresURL {
            let admin = try await DatabaseClient.connect(try DatabaseURL(parsing: postgresURL), logger: logger)
            let schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
            try await admin.write { try await $0.raw("CREATE SCHEMA \(unsafeRaw: String(schema))").run() }
            guard case .postgres(let raw, _) = try DatabaseURL(parsing: postgresURL) else { fatalError() }
            url = .postgres(url: raw, searchPath: [String(schema)])
            cleanup = {
                try await admin.write { try await $0.raw("DROP SCHEMA \(unsafeRaw: String(schema)) CASCADE").run() }
                await admin.shutdown()
            }
        } else {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rapport-test-\(UUID().uuidString)")
            url = .sqlite(path: dir.appendingPathComponent("test.sqlite").path)
            cleanup = { try? FileManager.default.removeItem(at: dir) }
        }
        let database = try await DatabaseClient.connect(url, logger: logger)
        do {
            try await Migrator(database: database, migrations: migrations).migrate()
            let result = try await body(database)
            await database.shutdown()
            try await cleanup()
            return result
        } catch {
            await database.shutdown()
            try? await cleanup()
            throw error
        }
    }

    /// Runs `body` against the app assembled as `rapport serve` assembles it, on a fresh database: the runtime's
    /// services, the HTTP router built from them, and the runtime's background services running around the test.
    static func run(configure: (inout AppConfig) -> Void = { _ in },
                    _ body: @escaping @Sendable (TestHTTP, AppServices) async throws -> Void) async throws {
        try await withRuntime(configure: configure) { runtime in
            let services = runtime.services
            let app = Application(router: try await buildRouter(services: services), logger: runtime.logger)
            try await runtime.withBackgroundServices {
                try await app.test(.router) { client in
                    try await body(TestHTTP(client: client, services: services), services)
                }
            }
        }
    }

    /// For tests that give segments their members directly (as a bulk load would): the scheduled refresh, which would
    /// put back the members the rule selects, does not fire while the test runs (1 January, 00:00 only).
    static func withoutScheduledSegmentRefresh(_ config: inout AppConfig) { config.segmentRefreshCron = "0 0 1 1 *" }

    /// The runtime over a fresh database, without HTTP: what `rapport worker` and the other commands run on.
    static func withRuntime<T>(configure: (inout AppConfig) -> Void = { _ in }, clock: WallClock = .system,
                               _ body: (Runtime) async throws -> T) async throws -> T {
        try await withDatabase { database in
            var config = AppConfig()
            config.database = database.url
            config.bcryptCost = 4
            // Tests change data and look again at once: no dashboard view is shared unless a test turns it on.
            config.dashboardCache.maxAgeMillis = 0
            configure(&config)
            var logger = Logger(label: "test")
            logger.logLevel = .warning
            return try await body(Runtime(config: config, database: database, logger: logger, clock: clock))
        }
    }
}

/// A workspace with an admin key, made through the same services the CLI uses.
struct Fixture {
    let workspace: Workspace
    let adminKey: String
    let ownerId: String

    static func make(_ services: AppServices, name: String = "Acme", ownerEmail: String = "owner@acme.test") async throws -> Fixture {
        let workspace = try await services.workspaces.create(name: name, creator: nil)
        let owner = try await services.team.add(nil, workspaceId: workspace.id, email: ownerEmail, role: .owner, name: "Owner",
                                                password: "correct horse battery")
        let (_, secret) = try await services.apiKeys.create(nil, workspaceId: workspace.id, name: "admin", scope: .admin)
        return Fixture(workspace: workspace, adminKey: secret, ownerId: owner.user.id)
    }

    func key(_ services: AppServices, scope: ApiKeyScope) async throws -> String {
        try await services.apiKeys.create(nil, workspaceId: workspace.id, name: "\(scope.rawValue) key", scope: scope).secret
    }
}

/// JSON over the in-process client.
struct TestHTTP: Sendable {
    let client: any TestClientProtocol
    let services: AppServices

    struct Reply: Sendable {
        let status: HTTPResponse.Status
        let headers: HTTPFields
        let text: String

        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        }
        var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
        var data: [[String: Any]] { json["data"] as? [[String: Any]] ?? [] }
        func string(_ key: String) -> String? { json[key] as? String }
    }

    func call(_ method: HTTPRequest.Method, _ uri: String, key: String? = nil, json: Any? = nil, raw: String? = nil,
              headers extra: HTTPFields = [:]) async throws -> Reply {
        var headers = extra
        if let key { headers[.authorization] = "Bearer \(key)" }
        var body: ByteBuffer?
        if let json {
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
            if headers[.contentType] == nil { headers[.contentType] = "application/json" }
        } else if let raw {
            body = ByteBuffer(string: raw)
        }
        let response = try await client.execute(uri: uri, method: method, headers: headers, body: body)
        return Reply(status: response.status, headers: response.headers, text: String(buffer: response.body))
    }

    func get(_ uri: String, key: String? = nil, headers: HTTPFields = [:]) async throws -> Reply {
        try await call(.get, uri, key: key, headers: headers)
    }
}
