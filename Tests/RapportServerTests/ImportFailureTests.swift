import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import RapportCore
import RapportRuntime
import RapportServer
import RapportStore
import SQLKit
import Testing

/// An import that cannot finish ends `failed` with its reason: an upload that breaks off at once, a job that keeps
/// failing on its last attempt.
@Suite("Imports that cannot finish")
struct ImportFailureTests {
    struct UploadCut: Error {}

    /// Chunks of a CSV file; `between` runs before every chunk after the first (a client going away, a database
    /// failing).
    struct Chunks: AsyncSequence, Sendable {
        let parts: [String]
        let between: @Sendable (Int) async throws -> Void

        struct AsyncIterator: AsyncIteratorProtocol {
            let chunks: Chunks
            var index = 0
            mutating func next() async throws -> [UInt8]? {
                guard index < chunks.parts.count else { return nil }
                if index > 0 { try await chunks.between(index) }
                defer { index += 1 }
                return Array(chunks.parts[index].utf8)
            }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(chunks: self) }
    }

    static func orders(_ range: Range<Int>) -> String {
        range.map { "o-\($0),c\($0)@example.com,10.00,USD\n" }.joined()
    }

    static func job(_ ws: TrackingTests.Workspace, _ id: String) async throws -> [String: Any] {
        try await ws.http.get("/api/v1/imports/\(id)", key: ws.fixture.adminKey).json
    }

    /// The `import.run` jobs of a workspace, in any state.
    static func importJobs(_ services: AppServices, workspaceId: String) async throws -> [Job] {
        try await services.core.store.read {
            try await $0.jobs.list(JobQuery(workspaceId: workspaceId, kind: ImportService.jobKind), page: PageRequest(limit: 100))
        }.items
    }

    /// Stored pieces of uploaded files, in every workspace.
    static func storedChunks(_ database: DatabaseClient) async throws -> Int {
        try await database.read { try await $0.raw("SELECT COUNT(*) AS n FROM import_chunks").first()?.decode(column: "n", as: Int.self) ?? -1 }
    }

    @Test func anUploadThatBreaksOffEndsFailedAndQueuesNothing() async throws {
        try await TrackingTests.run { ws, services in
            var imports = services.imports
            imports.chunkBytes = 4_096  // so that pieces are stored before the break
            let chunks = Chunks(parts: ["order_id,email,total,currency\n" + Self.orders(0..<600), Self.orders(600..<700)],
                                between: { _ in throw UploadCut() })
            await #expect(throws: UploadCut.self) {
                try await imports.upload(nil, workspaceId: ws.fixture.workspace.id, kind: .orders, chunks: chunks)
            }
            let listed = try await ws.http.get("/api/v1/imports", key: ws.fixture.adminKey).data
            #expect(listed.count == 1)
            let stored = try #require(listed.first)
            #expect(stored["status"] as? String == "failed")
            #expect((stored["failure"] as? String)?.contains("upload stopped before the end of the file") == true)
            #expect(stored["finished_at"] as? String != nil)
            #expect(stored["rows_imported"] as? Int == 0, "nothing is imported from a file that did not arrive whole")
            #expect(try await Self.importJobs(services, workspaceId: ws.fixture.workspace.id).isEmpty)
            #expect(try await Self.storedChunks(services.database) == 0)
            #expect(try await ws.http.get("/api/v1/customers", key: ws.fixture.adminKey).data.isEmpty)
        }
    }

    /// A database that fails under the job: the job is retried from where it stopped; on its last attempt the
    /// import ends `failed` with the reason, and the rows written before stay imported.
    @Test func anImportWhoseDatabaseFailsOnItsLastAttemptEndsFailed() async throws {
        try await TestApp.withRuntime { runtime in
            let services = runtime.services
            let fixture = try await Fixture.make(services)
            let queued = try await services.imports.upload(
                nil, workspaceId: fixture.workspace.id, kind: .orders,
                chunks: Chunks(parts: ["order_id,email,total,currency\n" + Self.orders(0..<1200)], between: { _ in }))
            #expect(queued.status == .queued)
            let admin = try await services.access.authenticate(apiKey: fixture.adminKey)
            var job = try #require(try await Self.importJobs(services, workspaceId: fixture.workspace.id).first)
            // The database accepts the start and the first batch, then fails every write.
            job.attempts = 1
            let first = ImportRunHandler(ImportService(services.core.with(FailingStore(services.core.store) { $0 >= 3 })))
            await #expect(throws: FailingStore.Failure.self) { try await first.run(job) }
            var stored = try await services.imports.find(admin, id: queued.id)
            #expect(stored.status == .running, "a failed attempt is retried")
            // The first batch is 499 orders: the 500th row waits to see whether the next row is another line of its order.
            #expect(stored.rowsImported == 499)

            // The last attempt: the next batch fails, and the import records why it stopped.
            job.attempts = job.maxAttempts
            let last = ImportRunHandler(ImportService(services.core.with(FailingStore(services.core.store) { $0 == 1 })))
            await #expect(throws: FailingStore.Failure.self) { try await last.run(job) }
            stored = try await services.imports.find(admin, id: queued.id)
            #expect(stored.status == .failed)
            #expect(stored.failure?.hasPrefix("The import stopped") == true, "\(stored.failure ?? "")")
            #expect(stored.rowsImported == 499, "rows written before the failure stay imported")
            #expect(try await Self.storedChunks(services.database) == 0)
        }
    }

    /// An import whose every attempt died with its worker (the lease expired each time): the queue gives the job up
    /// without running it again, and the import ends `failed` with the reason instead of staying `running`.
    @Test func anImportWhoseJobIsGivenUpEndsFailed() async throws {
        try await TestApp.withRuntime { runtime in
            let services = runtime.services
            let fixture = try await Fixture.make(services)
            let queued = try await services.imports.upload(
                nil, workspaceId: fixture.workspace.id, kind: .orders,
                chunks: Chunks(parts: ["order_id,email,total,currency\n" + Self.orders(0..<10)], between: { _ in }))
            let job = try #require(try await Self.importJobs(services, workspaceId: fixture.workspace.id).first)
            // Claimed by workers that died at once, until every attempt is used up.
            let store = services.core.store
            var now = Date().millisSince1970
            for _ in 0..<job.maxAttempts {
                let at = now
                #expect(try await store.write { try await $0.jobs.claim(owner: "dies", limit: 1, now: at, leaseMillis: 1) }.count == 1)
                now += 10
            }
            let worker = JobWorker(store: store, handlers: [ImportRunHandler(services.imports)], settings: JobWorkerTests.settings(),
                                   logger: JobWorkerTests.logger)
            try await JobWorkerTests.running([worker]) {
                try await JobWorkerTests.eventually("the job is dead") {
                    try await store.read { try await $0.jobs.find(id: job.id, workspaceId: nil) }?.state == .dead
                }
            }
            let admin = try await services.access.authenticate(apiKey: fixture.adminKey)
            let stored = try await services.imports.find(admin, id: queued.id)
            #expect(stored.status == .failed && stored.rowsImported == 0, "\(stored)")
            #expect(stored.failure?.contains("lease expired on every one of") == true, "\(stored.failure ?? "")")
        }
    }

    @Test func aMultipartUploadOverItsLimitNamesThatLimitAndLeavesNoJob() async throws {
        try await TrackingTests.run { ws, _ in
            let boundary = "rapport-test-boundary"
            var body = ByteBuffer(string: "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n\r\n")
            body.writeRepeatingByte(UInt8(ascii: "a"), count: 64 << 20)
            body.writeString("\r\n--\(boundary)--\r\n")
            let response = try await ws.http.client.execute(
                uri: "/api/v1/imports?type=customers", method: .post,
                headers: [.authorization: "Bearer \(ws.fixture.adminKey)", .contentType: "multipart/form-data; boundary=\(boundary)"],
                body: body)
            #expect(response.status == .contentTooLarge)
            let reply = TestHTTP.Reply(status: response.status, headers: response.headers, text: String(buffer: response.body))
            #expect(((reply.json["error"] as? [String: Any])?["details"] as? [String: Any])?["limit_bytes"] as? String == "67108864")
            #expect(try await ws.http.get("/api/v1/imports", key: ws.fixture.adminKey).data.isEmpty)
        }
    }

    /// Found by schemathesis: a header row whose quote never closes was answered 201 with a `failed` import.
    @Test func aHeaderRowWithAnOpenQuoteIsRefused() async throws {
        try await TrackingTests.run { ws, _ in
            let reply = try await SegmentAndImportTests.importCSV(ws, type: "customers", "\"email,name\nann@example.com,Ann\n")
            #expect(reply.status == .unprocessableContent, "\(reply.text)")
            #expect(((reply.json["error"] as? [String: Any])?["details"] as? [String: Any])?["field"] as? String == "file")
            let rows = try await SegmentAndImportTests.importCSV(ws, type: "customers", "email,name\n\"ann@example.com,Ann\n")
            #expect(rows.string("status") == "completed", "an open quote in a data row rejects that row and the rest of the file")
            #expect(rows.json["rows_rejected"] as? Int == 1)
        }
    }
}
