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

/// An import that cannot finish ends `failed` with its reason; it never stays `running`.
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

    @Test func anUploadThatBreaksOffEndsFailedAndKeepsTheRowsBefore() async throws {
        try await TrackingTests.run { ws, services in
            let job = try await services.imports.start(nil, workspaceId: ws.fixture.workspace.id, kind: .orders)
            let chunks = Chunks(parts: ["order_id,email,total,currency\n" + Self.orders(0..<600), Self.orders(600..<700)],
                                between: { _ in throw UploadCut() })
            await #expect(throws: UploadCut.self) { try await services.imports.run(job, chunks: chunks) }
            let stored = try await Self.job(ws, job.id)
            #expect(stored["status"] as? String == "failed")
            #expect((stored["failure"] as? String)?.contains("upload stopped before the end of the file") == true)
            #expect(stored["finished_at"] as? String != nil)
            // The first batch was committed before the upload broke off: 499 orders, because the 500th row waits to
            // see whether the next row is another line of its order.
            #expect(stored["rows_imported"] as? Int == 499)
        }
    }

    @Test func anImportWhoseDatabaseFailsEndsFailed() async throws {
        try await TrackingTests.run { ws, services in
            let job = try await services.imports.start(nil, workspaceId: ws.fixture.workspace.id, kind: .orders)
            let database = services.database
            let chunks = Chunks(parts: ["order_id,email,total,currency\n" + Self.orders(0..<600), Self.orders(600..<1200)],
                                between: { _ in
                                    // The orders table goes away under the import: the next batch's write raises.
                                    try await database.write { try await $0.raw("DROP TABLE orders").run() }
                                })
            await #expect(throws: (any Error).self) { try await services.imports.run(job, chunks: chunks) }
            let stored = try await Self.job(ws, job.id)
            #expect(stored["status"] as? String == "failed")
            #expect((stored["failure"] as? String)?.hasPrefix("The import stopped") == true)
            #expect(stored["rows_imported"] as? Int == 499)
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
            #expect(rows.status == .created, "an open quote in a data row rejects that row and the rest of the file")
            #expect(rows.json["rows_rejected"] as? Int == 1)
        }
    }
}
