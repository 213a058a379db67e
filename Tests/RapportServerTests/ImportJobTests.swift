import Foundation
import Hummingbird
import HummingbirdTesting
import RapportCore
import RapportRuntime
import RapportServer
import RapportStore
import SQLKit
import Testing

/// CSV imports run as durable jobs: the upload is stored, an `import.run` job imports it, and a job that is run again
/// (after a crash, or by two workers at once) writes every row once. On SQLite, and on PostgreSQL when
/// `RAPPORT_TEST_DATABASE_URL` is set.
@Suite("Imports as jobs")
struct ImportJobTests {
    typealias Chunks = ImportFailureTests.Chunks

    static func count(_ database: DatabaseClient, _ sql: String) async throws -> Int {
        try await database.read { try await $0.raw(SQLQueryString(sql)).first()?.decode(column: "n", as: Int.self) ?? -1 }
    }

    /// 650 orders of two lines each for 97 customers, with one bad order (`total` is not a number) in the middle.
    static let ordersFile: String = {
        var lines = ["order_id,email,total,currency,product_id"]
        for order in 0..<650 {
            if order == 400 { lines.append("BAD-1,bad@example.com,abc,USD,p0") }
            for product in ["p1", "p2"] {
                lines.append("O-\(order),c\(order % 97)@example.com,20.00,USD,\(product)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }()

    /// What a user checks after importing `ordersFile`: every row counted once, every order and customer there once,
    /// the bad row listed, and one `import.completed` event.
    static func expectEveryRowOnce(_ services: AppServices, workspaceId: String, importId: String) async throws {
        let admin = try await services.core.store.read { try await $0.imports.find(workspaceId: workspaceId, id: importId) }
        let job = try #require(admin)
        #expect(job.status == .completed, "\(job.failure ?? "")")
        #expect((job.rowsRead, job.rowsImported, job.rowsRejected) == (1_301, 1_300, 1))
        #expect(job.rejections.map(\.field) == ["total"], "\(job.rejections)")
        #expect(job.rejections.map(\.row) == [802], "the bad row keeps its number in the file")
        let database = services.database
        #expect(try await count(database, "SELECT COUNT(*) AS n FROM orders") == 650)
        #expect(try await count(database, "SELECT COUNT(*) AS n FROM order_lines") == 1_300)
        #expect(try await count(database, "SELECT COUNT(*) AS n FROM customers WHERE merged_into IS NULL") == 97)
        #expect(try await count(database, "SELECT COUNT(*) AS n FROM webhook_deliveries WHERE event_type = 'import.completed'") == 1)
        #expect(try await count(database, "SELECT COUNT(*) AS n FROM import_chunks") == 0, "the stored file is deleted")
    }

    /// A workspace with a webhook endpoint for `import.completed` (no worker runs, so nothing is delivered).
    static func workspace(_ services: AppServices) async throws -> Fixture {
        let fixture = try await Fixture.make(services)
        let admin = try await services.access.authenticate(apiKey: fixture.adminKey)
        _ = try await services.webhooks.create(admin, url: "http://127.0.0.1:9/hooks", description: nil,
                                               eventTypes: ["import.completed"], ip: nil)
        return fixture
    }

    static func upload(_ services: AppServices, _ fixture: Fixture, kind: ImportJob.Kind = .orders, _ csv: String,
                       chunkBytes: Int = 16_384) async throws -> ImportJob {
        var imports = services.imports
        imports.chunkBytes = chunkBytes  // several stored pieces, so the job reads across their borders
        let job = try await imports.upload(nil, workspaceId: fixture.workspace.id, kind: kind,
                                           chunks: Chunks(parts: [csv], between: { _ in }))
        #expect(job.status == .queued)
        return job
    }

    @Test func anUploadIsAcceptedAsAQueuedImportThatAWorkerThenRuns() async throws {
        try await TrackingTests.run { ws, _ in
            let key = ws.fixture.adminKey
            let posted = try await ws.http.call(.post, "/api/v1/imports?type=customers", key: key,
                                                raw: "email,name\nann@example.com,Ann\nbob@example.com,Bob\n",
                                                headers: [.contentType: "text/csv"])
            #expect(posted.status == .accepted, "\(posted.text)")
            let id = try #require(posted.string("id"))
            #expect(posted.headers[.location] == "/api/v1/imports/\(id)")
            #expect(posted.string("status") == "queued")
            #expect(posted.json["rows_read"] as? Int == 0)
            let done = try await SegmentAndImportTests.finished(ws.http, key: key, posted)
            #expect(done.string("status") == "completed")
            #expect(done.json["rows_imported"] as? Int == 2)
            #expect(done.string("finished_at") != nil)
            try await JobWorkerTests.eventually("the import.run job has succeeded") {
                try await ws.http.get("/api/v1/jobs?kind=import.run", key: key).data.map { $0["state"] as? String } == ["succeeded"]
            }
            #expect(try await ws.customers(search: "bob@example.com").count == 1)
        }
    }

    @Test func aFileWithoutAUsableHeaderIsRefusedAndQueuesNoJob() async throws {
        try await TrackingTests.run { ws, services in
            let key = ws.fixture.adminKey
            for (type, csv, message) in [("customers", "name,plan\nAnn,pro\n", "The header needs an email or user_id column"),
                                         ("orders", "email,total\nann@example.com,10\n", "An orders file needs an order_id column"),
                                         ("customers", "\n\n", "The file is empty")] {
                let reply = try await ws.http.call(.post, "/api/v1/imports?type=\(type)", key: key, raw: csv,
                                                   headers: [.contentType: "text/csv"])
                #expect(reply.status == .unprocessableContent, "\(reply.text)")
                let error = try #require(reply.json["error"] as? [String: Any])
                #expect((error["message"] as? String)?.hasPrefix(message) == true, "\(error)")
                let details = try #require(error["details"] as? [String: Any])
                #expect(details["field"] as? String == "file")
                let id = try #require(details["import_id"] as? String)
                let stored = try await ws.http.get("/api/v1/imports/\(id)", key: key)
                #expect(stored.string("status") == "failed")
            }
            #expect(try await ImportFailureTests.importJobs(services, workspaceId: ws.fixture.workspace.id).isEmpty)
            #expect(try await Self.count(services.database, "SELECT COUNT(*) AS n FROM import_chunks") == 0)
        }
    }

    /// The worker running an import dies after its first batch (the second batch's transaction never commits); its
    /// lease expires and another worker re-claims the job: the import goes on from the last saved row and every row
    /// is written once, with no order rejected as "already imported" because of the retry.
    @Test func aJobReclaimedAfterACrashImportsEveryRowOnce() async throws {
        try await TestApp.withRuntime(configure: { $0.webhookAllowPrivateNetworks = true }) { runtime in
            let services = runtime.services
            let fixture = try await Self.workspace(services)
            let queued = try await Self.upload(services, fixture, Self.ordersFile)
            let store = services.core.store
            let now = Date().millisSince1970
            let claimed = try await store.write {
                try await $0.jobs.claim(owner: "worker-a", limit: 1, now: now, leaseMillis: 1, kinds: [ImportService.jobKind])
            }
            let job = try #require(claimed.first)
            #expect(job.payload.contains(queued.id))

            // Writes 1 (start) and 2 (first batch) commit; the process dies inside write 3.
            let crashing = ImportRunHandler(ImportService(services.core.with(FailingStore(store) { $0 >= 3 })))
            await #expect(throws: FailingStore.Failure.self) { try await crashing.run(job) }
            let interrupted = try #require(try await store.read {
                try await $0.imports.find(workspaceId: fixture.workspace.id, id: queued.id)
            })
            #expect(interrupted.status == .running)
            #expect(interrupted.rowsImported == 498, "the first batch: 249 orders of two lines, cut at an order's end")
            #expect(interrupted.lastRow == 499)
            #expect(try await Self.count(services.database, "SELECT COUNT(*) AS n FROM orders") == 249)

            // The lease has expired: another worker takes the job over.
            let reclaimed = try await store.write {
                try await $0.jobs.claim(owner: "worker-b", limit: 1, now: now + 1_000, leaseMillis: 60_000,
                                        kinds: [ImportService.jobKind])
            }
            let again = try #require(reclaimed.first)
            #expect(again.id == job.id && again.attempts == 2)
            try await ImportRunHandler(services.imports).run(again)
            try await Self.expectEveryRowOnce(services, workspaceId: fixture.workspace.id, importId: queued.id)

            // Delivered once more (its completion was not recorded, say): nothing changes.
            try await ImportRunHandler(services.imports).run(again)
            try await Self.expectEveryRowOnce(services, workspaceId: fixture.workspace.id, importId: queued.id)
        }
    }

    /// Two workers run one import at once (the first's lease expired while it still ran): the batch both write is
    /// kept from one of them only, and the other stops.
    @Test func twoWorkersRunningOneImportWriteEveryRowOnce() async throws {
        try await TestApp.withRuntime(configure: { $0.webhookAllowPrivateNetworks = true }) { runtime in
            let services = runtime.services
            let fixture = try await Self.workspace(services)
            let queued = try await Self.upload(services, fixture, Self.ordersFile)
            let store = services.core.store
            let job = try #require(try await ImportFailureTests.importJobs(services, workspaceId: fixture.workspace.id).first)
            // Started, and stopped before its first batch committed: both runners begin at the same row.
            let stopped = ImportRunHandler(ImportService(services.core.with(FailingStore(store) { $0 >= 2 })))
            await #expect(throws: FailingStore.Failure.self) { try await stopped.run(job) }

            var small = services.imports
            small.batchSize = 100
            let handlers = [ImportRunHandler(services.imports), ImportRunHandler(small)]
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for handler in handlers {
                    group.addTask {
                        do { try await handler.run(job); return true } catch { return false }
                    }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.contains(true), "one of them finishes the import")
            // The one that stopped is retried by the queue; it finds the import finished.
            try await ImportRunHandler(services.imports).run(job)
            try await Self.expectEveryRowOnce(services, workspaceId: fixture.workspace.id, importId: queued.id)
        }
    }

    /// A server killed while it received an upload leaves the import `uploading`, with pieces of the file stored; the
    /// hourly sweep ends it `failed` and deletes them once nothing has been stored for an hour.
    @Test func anUploadWhoseServerDiedIsEndedByTheSweep() async throws {
        let clock = ManualClock("2026-12-01T10:00:00Z")
        try await TestApp.withRuntime(clock: clock.wall) { runtime in
            let services = runtime.services
            let fixture = try await Fixture.make(services)
            let store = services.core.store
            func uploading(_ id: String) async throws {
                let job = ImportJob(id: id, workspaceId: fixture.workspace.id, kind: .customers, status: .uploading,
                                    createdBy: nil, createdAt: clock.nowMillis)
                let now = clock.nowMillis
                try await store.write { repos in
                    try await repos.imports.insert(job)
                    try await repos.imports.insertChunk(workspaceId: job.workspaceId, importId: id, sequence: 0,
                                                        bytes: Array("email\nann@example.com\n".utf8), at: now)
                }
            }
            try await uploading("0190e1f0-0000-7000-8000-000000000001")
            clock.advance(.seconds(50 * 60))
            try await uploading("0190e1f0-0000-7000-8000-000000000002")
            let sweep = ImportSweepHandler(services.imports)
            let job = Job(id: "sweep-1", kind: ImportSweepHandler.kind, now: clock.nowMillis)
            try await sweep.run(job)
            #expect(try await Self.count(services.database, "SELECT COUNT(*) AS n FROM import_chunks") == 2, "not an hour yet")

            clock.advance(.seconds(11 * 60))
            try await sweep.run(job)
            let admin = try await services.access.authenticate(apiKey: fixture.adminKey)
            let dead = try await services.imports.find(admin, id: "0190e1f0-0000-7000-8000-000000000001")
            #expect(dead.status == .failed)
            #expect(dead.failure?.contains("server receiving it stopped") == true)
            #expect(dead.finishedAt == clock.nowMillis)
            #expect(try await services.imports.find(admin, id: "0190e1f0-0000-7000-8000-000000000002").status == .uploading)
            #expect(try await Self.count(services.database, "SELECT COUNT(*) AS n FROM import_chunks") == 1)
        }
    }
}
