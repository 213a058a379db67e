import Logging
import Foundation
import Hummingbird
import Prometheus
import RapportCore
import RapportStore

/// `/healthz`, `/readyz`, `/metrics`, `/openapi.json`: unauthenticated, for load balancers and scrapers.
struct OperationsRoutes: Sendable {
    let database: DatabaseClient
    let openAPI: Data

    func add(to router: Router<AppRequestContext>) {
        router.get("/healthz") { _, _ in JSONResponse.make(["status": "ok"]) }

        router.get("/readyz") { _, context in
            do {
                let migrator = Migrator(database: database)
                let version = try await migrator.currentVersion()
                guard version >= Migrations.latestVersion else {
                    throw RapportError(.unavailable, code: "not_ready",
                                       message: "Migrations are pending (schema \(version) of \(Migrations.latestVersion)); run `rapport migrate`.")
                }
                return JSONResponse.make(["status": "ready", "database": .string(database.kind.rawValue),
                                          "schema_version": JSONValue(version)])
            } catch let error as RapportError {
                throw error
            } catch {
                context.logger.warning("readiness check failed: \(error)")
                throw RapportError(.unavailable, code: "not_ready", message: "The database does not answer.")
            }
        }

        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: RapportMetrics.registry.emitToBuffer())))
        }

        router.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: openAPI)))
        }
    }
}
