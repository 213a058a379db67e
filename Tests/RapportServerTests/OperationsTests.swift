@testable import RapportServer
import Foundation
import Hummingbird
import RapportCore
import RapportRuntime
import RapportStore
import Testing

@Suite("Operations endpoints")
struct OperationsTests {
    @Test func healthAndReadinessReportTheDatabase() async throws {
        try await TestApp.run { http, _ in
            let health = try await http.get("/healthz")
            #expect(health.status == .ok)
            #expect(health.string("status") == "ok")
            let ready = try await http.get("/readyz")
            #expect(ready.status == .ok)
            #expect(ready.string("database") == TestApp.backendName)
            #expect(ready.json["schema_version"] as? Int == Migrations.latestVersion)
        }
    }

    @Test func metricsExposeRequestCountsAndLatencyByRoute() async throws {
        try await TestApp.run { http, _ in
            _ = try await http.get("/healthz")
            _ = try await http.get("/readyz")
            let metrics = try await http.get("/metrics")
            #expect(metrics.status == .ok)
            #expect(metrics.text.contains("http_server_request_duration_seconds_bucket{"))
            #expect(metrics.text.contains("http_route=\"/healthz\""))
            #expect(metrics.text.contains("http_server_requests_total"))
            #expect(metrics.text.contains("rapport_db_connections_in_use"))
        }
    }

    @Test func metricsExposeTheJobQueueGauges() async throws {
        try await TestApp.run { http, services in
            let now = services.core.clock.nowMillis
            _ = try await services.core.store.write {
                try await $0.jobs.enqueue(Job(id: "later-1", kind: "later", now: now, runAt: now + 3_600_000))
            }
            // The sampler reads the queue every 5 s.
            let deadline = ContinuousClock.now + .seconds(20)
            var text = ""
            repeat {
                try await Task.sleep(for: .milliseconds(250))
                text = try await http.get("/metrics").text
            } while !text.contains("rapport_jobs_queued{kind=\"later\"} 1") && ContinuousClock.now < deadline
            #expect(text.contains("rapport_jobs_queued{kind=\"later\"} 1"), "\(text)")
            #expect(text.contains("rapport_jobs_running{kind=\"later\"} 0"))
            #expect(text.contains("rapport_jobs_oldest_due_age_seconds 0"))
        }
    }

    @Test func migrationsAreAppliedOnceAndRecorded() async throws {
        try await TestApp.withDatabase { (database: DatabaseClient) async throws in
            let migrator = Migrator(database: database)
            #expect(try await migrator.migrate().isEmpty)
            #expect(try await migrator.currentVersion() == Migrations.latestVersion)
            #expect(try await migrator.pending().isEmpty)
        }
    }
}

@Suite("OpenAPI document")
struct OpenAPIContractTests {
    /// Every API and operations route is in the document, and every documented operation is routed.
    @Test func documentMatchesTheRoutes() async throws {
        try await TestApp.run { http, services in
            let reply = try await http.get("/openapi.json")
            #expect(reply.status == .ok)
            #expect(reply.string("openapi")?.hasPrefix("3.1") == true)
            let paths = try #require(reply.json["paths"] as? [String: [String: Any]])
            let methods = Set(["get", "put", "post", "patch", "delete", "head", "options"])
            let documented = Set(paths.flatMap { path, operations in
                operations.keys.filter(methods.contains).map { "\($0.uppercased()) \(path)" }
            })
            let router = try await RapportServer.buildRouter(services: services)
            let operational: Set<String> = ["/healthz", "/readyz", "/metrics", "/openapi.json"]
            let routed = Set(router.routes.compactMap { route -> String? in
                let path = RouteTable.template(route.path.description)
                guard path.hasPrefix("/api/") || path.hasPrefix("/v1/") || operational.contains(path) else { return nil }
                return "\(route.method.rawValue) \(path)"
            })
            #expect(routed.subtracting(documented).isEmpty, "routes missing from openapi.json: \(routed.subtracting(documented).sorted())")
            #expect(documented.subtracting(routed).isEmpty, "documented but not routed: \(documented.subtracting(routed).sorted())")
        }
    }
}
