// RapportBench: measures Rapport against a reference taken in the same run (see docs/benchmarks.md).
//
//  1. Ingest: realistic 1–2 KB Segment `track` messages posted in batches of 100 to /v1/batch of the real app over
//     loopback HTTP (identity resolution, profile updates, timeline rows, all committed before the 200), against the
//     raw insert rate of the same timeline rows into the same table, 100 rows per transaction, through the same
//     database client.
//  2. Timeline and search latency at scale: the REST endpoints against the bare SQL query that answers them.
//
// Usage: RapportBench --database URL [--events N] [--customers N] [--scale-customers N] [--scale-events N]
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import RapportCore
import RapportServer
import RapportStore
import SQLKit

struct Options {
    var database = "sqlite:/tmp/rapport-bench/bench.sqlite"
    var events = 20_000
    var customers = 2_000
    var scaleCustomers = 100_000
    var scaleEvents = 1_000_000
    var output: String?
    var clients = 4

    init(arguments: [String]) {
        var i = 1
        while i < arguments.count {
            let value = i + 1 < arguments.count ? arguments[i + 1] : ""
            switch arguments[i] {
            case "--database": database = value
            case "--events": events = Int(value) ?? events
            case "--customers": customers = Int(value) ?? customers
            case "--scale-customers": scaleCustomers = Int(value) ?? scaleCustomers
            case "--scale-events": scaleEvents = Int(value) ?? scaleEvents
            case "--output": output = value
            case "--clients": clients = Int(value) ?? clients
            default: break
            }
            i += 2
        }
    }
}

/// A realistic analytics.js-style track message of 1–2 KB.
func trackMessage(user: Int, index: Int, at: Int64, rng: inout SeededGenerator) -> [String: Any] {
    let events = ["Product Viewed", "Product Added", "Checkout Started", "Logged In", "Article Read", "Video Played"]
    let padding = String(repeating: "x", count: Int(rng.next() % 700))
    return [
        "type": "track", "messageId": "bench-\(index)-\(rng.next())", "userId": "user-\(user)", "anonymousId": "anon-\(user)",
        "event": events[Int(rng.next() % UInt64(events.count))], "timestamp": Timestamp.iso8601(at),
        "properties": ["product_id": "sku-\(rng.next() % 5000)", "category": "Kitchen & Dining", "price": 24.99, "quantity": 1,
                       "currency": "EUR", "position": Int(rng.next() % 40), "url": "https://shop.example.com/p/\(rng.next() % 5000)",
                       "campaign_note": padding],
        "context": [
            "library": ["name": "analytics.js", "version": "4.1.0"],
            "page": ["path": "/products/\(rng.next() % 5000)", "referrer": "https://www.google.com/",
                     "title": "Handmade ceramic mug – Example Shop", "url": "https://shop.example.com/products/\(rng.next() % 5000)"],
            "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
            "ip": "203.0.113.\(rng.next() % 255)", "locale": "en-GB", "timezone": "Europe/London",
            "campaign": ["name": "winter-sale", "source": "newsletter", "medium": "email"],
        ],
    ]
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p + 0.5))]
}

@main
struct RapportBench {
    static func main() async throws {
        let options = Options(arguments: CommandLine.arguments)
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let url = try DatabaseURL(parsing: options.database)
        if case .sqlite(let path) = url {
            try? FileManager.default.removeItem(atPath: path)
            try? FileManager.default.removeItem(atPath: path + "-wal")
            try? FileManager.default.removeItem(atPath: path + "-shm")
        }
        let database = try await DatabaseClient.connect(url, logger: logger)
        try await Migrator(database: database).migrate()
        var config = AppConfig()
        config.database = url
        config.bcryptCost = 4
        let services = try await makeServices(config: config, database: database)
        let workspace = try await services.workspaces.create(name: "Bench \(UUID().uuidString.prefix(8))", creator: nil)
        let (_, trackKey) = try await services.apiKeys.create(nil, workspaceId: workspace.id, name: "bench", scope: .track)
        let (_, adminKey) = try await services.apiKeys.create(nil, workspaceId: workspace.id, name: "admin", scope: .admin)
        let auth = "Basic " + Data("\(trackKey):".utf8).base64EncodedString()
        var rng = SeededGenerator(seed: 7)
        let start = Date().millisSince1970 - 86_400_000

        // Pre-build the batches so JSON encoding on the client side is not measured.
        var bodies: [ByteBuffer] = []
        var totalBytes = 0
        for b in 0..<(options.events / 100) {
            let messages = (0..<100).map { i in
                trackMessage(user: Int(rng.next() % UInt64(options.customers)), index: b * 100 + i, at: start + Int64(b * 100 + i), rng: &rng)
            }
            let data = try JSONSerialization.data(withJSONObject: ["batch": messages, "sentAt": Timestamp.iso8601(Date().millisSince1970)])
            totalBytes += data.count
            bodies.append(ByteBuffer(bytes: data))
        }
        let averageMessage = totalBytes / max(1, options.events)

        let router = try buildRouter(services: services)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: logger)
        let batches = bodies
        let clients = options.clients
        let ingestRate = try await app.test(.live) { client -> Double in
            // Warm up: the first batch creates most profiles; measure steady state on the rest.
            // A real HTTP client (libcurl, with TCP_NODELAY as production clients set), `clients` requests in flight,
            // as a server receiving from many sources sees them.
            let url = URL(string: "http://127.0.0.1:\(client.port!)/v1/batch")!
            let clock = ContinuousClock()
            let began = clock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<clients {
                    group.addTask {
                        let session = URLSession(configuration: .ephemeral)
                        for body in stride(from: worker, to: batches.count, by: clients).map({ batches[$0] }) {
                            var request = URLRequest(url: url)
                            request.httpMethod = "POST"
                            request.setValue(auth, forHTTPHeaderField: "Authorization")
                            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                            request.httpBody = Data(body.readableBytesView)
                            let (data, response) = try await session.data(for: request)
                            guard (response as? HTTPURLResponse)?.statusCode == 200 else {
                                fatalError("ingest answered \(response): \(String(decoding: data, as: UTF8.self))")
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            return Double(batches.count * 100) / seconds(clock.now - began)
        }

        // Reference: the same timeline rows, inserted raw, 100 per transaction, through the same database client.
        var rawRows: [Activity] = []
        rng = SeededGenerator(seed: 7)
        for i in 0..<options.events {
            let message = trackMessage(user: Int(rng.next() % UInt64(options.customers)), index: i, at: start + Int64(i), rng: &rng)
            let json = JSONValue.parse(String(decoding: try JSONSerialization.data(withJSONObject: message), as: UTF8.self)) ?? [:]
            rawRows.append(Activity(id: services.core.ids.next(), workspaceId: workspace.id, customerId: "raw-\(i % options.customers)",
                                    kind: .track, name: json["event"]?.stringValue, occurredAt: start + Int64(i), receivedAt: start,
                                    messageId: "raw-\(i)", properties: json["properties"] ?? [:], context: json["context"] ?? [:]))
        }
        let store = SQLDataStore(database: database)
        let clock = ContinuousClock()
        let rawBegan = clock.now
        for chunk in stride(from: 0, to: rawRows.count, by: 100) {
            let rows = Array(rawRows[chunk..<min(chunk + 100, rawRows.count)])
            try await store.write { try await $0.activities.insert(rows) }
        }
        let rawRate = Double(rawRows.count) / seconds(clock.now - rawBegan)

        // Second reference: the same timeline rows plus the profile rows ingest writes with them (one upsert of the
        // batch's people, as ingest does), 100 events per transaction: storage alone, without HTTP, parsing,
        // identity resolution or deduplication.
        var people: [String: Customer] = [:]
        let profileBegan = clock.now
        for chunk in stride(from: 0, to: rawRows.count, by: 100) {
            var rows = Array(rawRows[chunk..<min(chunk + 100, rawRows.count)])
            var touched: [String: Customer] = [:]
            for i in rows.indices {
                rows[i].id = services.core.ids.next()
                rows[i].messageId = "raw2-\(chunk + i)"
                let person = rows[i].customerId
                var customer = people[person] ?? Customer(id: services.core.ids.next(), workspaceId: workspace.id,
                                                          createdAt: start, updatedAt: start, firstSeenAt: rows[i].occurredAt,
                                                          lastSeenAt: rows[i].occurredAt)
                customer.seen(at: rows[i].occurredAt)
                people[person] = customer
                touched[person] = customer
                rows[i].customerId = customer.id
            }
            let batch = rows, profiles = Array(touched.values)
            try await store.write { repos in
                try await repos.customers.upsert(profiles)
                try await repos.activities.insert(batch)
            }
        }
        let profileRate = Double(rawRows.count) / seconds(clock.now - profileBegan)
        print(String(format: "ingest %.0f events/s, raw insert %.0f rows/s (ratio %.2f), with profile rows %.0f events/s (ratio %.2f)",
                     ingestRate, rawRate, ingestRate / rawRate, profileRate, ingestRate / profileRate))

        // Scale: bulk-load customers and events directly, then time the API against the bare query.
        let scaleWorkspace = try await services.workspaces.create(name: "Scale \(UUID().uuidString.prefix(8))", creator: nil)
        let (_, scaleKey) = try await services.apiKeys.create(nil, workspaceId: scaleWorkspace.id, name: "admin", scope: .admin)
        let loadBegan = clock.now
        let scaleWorkspaceId = scaleWorkspace.id
        let customerIds = try await bulkLoad(services: services, database: database, workspaceId: scaleWorkspace.id,
                                             customers: options.scaleCustomers, events: options.scaleEvents, start: start)
        let loadSeconds = seconds(clock.now - loadBegan)
        print(String(format: "loaded %d customers and %d events in %.0f s", options.scaleCustomers, options.scaleEvents, loadSeconds))
        let app2 = Application(router: try buildRouter(services: services), configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                               logger: logger)
        let clientClock = ContinuousClock()
        let (timelineAPI, timelineRaw, searchAPI, searchRaw) = try await app2.test(.live) { client in
            let clock = clientClock
            let session = URLSession(configuration: .ephemeral)
            let base = "http://127.0.0.1:\(client.port!)"
            func get(_ path: String) async throws -> (Int, String) {
                var request = URLRequest(url: URL(string: base + path)!)
                request.setValue("Bearer \(scaleKey)", forHTTPHeaderField: "Authorization")
                let (data, response) = try await session.data(for: request)
                return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
            }
            var timelineAPI: [Double] = [], searchAPI: [Double] = [], timelineRaw: [Double] = [], searchRaw: [Double] = []
            for i in 0..<200 {
                let id = customerIds[(i * 7919) % customerIds.count]
                var t = clock.now
                let timeline = try await get("/api/v1/customers/\(id)/timeline?limit=50")
                guard timeline.0 == 200 else { fatalError("timeline \(timeline.0)") }
                timelineAPI.append(seconds(clock.now - t) * 1000)
                t = clock.now
                _ = try await database.read { db in
                    try await db.raw("""
                        SELECT id, kind, name, occurred_at, properties, context FROM activities
                        WHERE workspace_id = \(bind: scaleWorkspaceId) AND customer_id = \(bind: id)
                        ORDER BY occurred_at DESC, id DESC LIMIT 51
                        """).all()
                }
                timelineRaw.append(seconds(clock.now - t) * 1000)
                let email = "person\((i * 104_729) % options.scaleCustomers)@example.com"
                t = clock.now
                let search = try await get("/api/v1/customers?search=\(email)")
                guard search.0 == 200, search.1.contains(email) else { fatalError("search \(search.0)") }
                searchAPI.append(seconds(clock.now - t) * 1000)
                t = clock.now
                _ = try await database.read { db in
                    try await db.raw("SELECT id, traits FROM customers WHERE workspace_id = \(bind: scaleWorkspaceId) AND email = \(bind: email)").all()
                }
                searchRaw.append(seconds(clock.now - t) * 1000)
            }
            return (timelineAPI, timelineRaw, searchAPI, searchRaw)
        }
        let report = Report(database: url.kind.rawValue, events: options.events, customers: options.customers, clients: options.clients,
                            messageBytes: averageMessage, ingestRate: ingestRate, rawRate: rawRate, profileRate: profileRate,
                            scaleCustomers: options.scaleCustomers, scaleEvents: options.scaleEvents, loadSeconds: loadSeconds,
                            timelineAPI: timelineAPI, timelineRaw: timelineRaw, searchAPI: searchAPI, searchRaw: searchRaw)
        print(report.markdown)
        if let output = options.output { try report.markdown.write(toFile: output, atomically: true, encoding: .utf8) }
        await database.shutdown()
    }

    /// Writes customers (with identifiers and search entries) and their events with multi-row inserts.
    static func bulkLoad(services: AppServices, database: DatabaseClient, workspaceId: String, customers: Int, events: Int,
                         start: Int64) async throws -> [String] {
        var ids: [String] = []
        let store = SQLDataStore(database: database)
        for chunk in stride(from: 0, to: customers, by: 500) {
            var batch: [(Customer, [Identifier])] = []
            for n in chunk..<min(chunk + 500, customers) {
                let id = services.core.ids.next()
                ids.append(id)
                batch.append((Customer(id: id, workspaceId: workspaceId, traits: ["email": .string("person\(n)@example.com"),
                                                                                 "name": .string("Person \(n)")],
                                       createdAt: start, updatedAt: start, firstSeenAt: start, lastSeenAt: start),
                              [Identifier(.userId, "scale-\(n)"), Identifier(.email, "person\(n)@example.com")]))
            }
            let rows = batch
            try await store.write { repos in
                try await repos.customers.upsert(rows.map(\.0))
                for (customer, identifiers) in rows {
                    try await repos.customers.addIdentifiers(workspaceId: workspaceId, customerId: customer.id, identifiers, at: start)
                }
                try await repos.customers.refreshSearch(workspaceId: workspaceId, customerIds: rows.map(\.0.id))
            }
        }
        var rng = SeededGenerator(seed: 11)
        let properties: JSONValue = ["product_id": "sku-1", "price": 24.99, "note": .string(String(repeating: "x", count: 300))]
        let context: JSONValue = ["library": ["name": "analytics.js"], "page": ["path": "/products/1"]]
        for chunk in stride(from: 0, to: events, by: 1000) {
            let rows = (chunk..<min(chunk + 1000, events)).map { n in
                Activity(id: services.core.ids.next(), workspaceId: workspaceId, customerId: ids[Int(rng.next() % UInt64(ids.count))],
                         kind: .track, name: "Product Viewed", occurredAt: start + Int64(n), receivedAt: start,
                         messageId: nil, properties: properties, context: context)
            }
            try await store.write { try await $0.activities.insert(rows) }
        }
        return ids
    }
}

struct Report {
    let database: String
    let events: Int, customers: Int, clients: Int, messageBytes: Int
    let ingestRate: Double, rawRate: Double, profileRate: Double
    let scaleCustomers: Int, scaleEvents: Int, loadSeconds: Double
    let timelineAPI: [Double], timelineRaw: [Double], searchAPI: [Double], searchRaw: [Double]

    var markdown: String {
        func ms(_ v: Double) -> String { String(format: "%.2f ms", v) }
        return """
            ### \(database)

            | measure | Rapport | reference (same run) | ratio |
            | --- | --- | --- | --- |
            | ingest through `/v1/batch` (\(events) events from \(customers) people, batches of 100, ≈\(messageBytes) B/message, \(clients) clients) | \(String(format: "%.0f", ingestRate)) events/s | raw insert of the same timeline rows: \(String(format: "%.0f", rawRate)) rows/s | \(String(format: "%.2f", ingestRate / rawRate)) |
            | the same ingest | \(String(format: "%.0f", ingestRate)) events/s | raw insert of the same timeline rows and profile rows: \(String(format: "%.0f", profileRate)) events/s | \(String(format: "%.2f", ingestRate / profileRate)) |
            | timeline p50 (`GET /customers/{id}/timeline?limit=50`, \(scaleCustomers) customers / \(scaleEvents) events) | \(ms(percentile(timelineAPI, 0.5))) | bare SQL query p50: \(ms(percentile(timelineRaw, 0.5))) | \(String(format: "%.1f", percentile(timelineAPI, 0.5) / max(0.001, percentile(timelineRaw, 0.5)))) |
            | timeline p95 | \(ms(percentile(timelineAPI, 0.95))) | \(ms(percentile(timelineRaw, 0.95))) | \(String(format: "%.1f", percentile(timelineAPI, 0.95) / max(0.001, percentile(timelineRaw, 0.95)))) |
            | search by email p50 (`GET /customers?search=…`, full text) | \(ms(percentile(searchAPI, 0.5))) | indexed `email =` lookup p50: \(ms(percentile(searchRaw, 0.5))) | \(String(format: "%.1f", percentile(searchAPI, 0.5) / max(0.001, percentile(searchRaw, 0.5)))) |
            | search p95 | \(ms(percentile(searchAPI, 0.95))) | \(ms(percentile(searchRaw, 0.95))) | \(String(format: "%.1f", percentile(searchAPI, 0.95) / max(0.001, percentile(searchRaw, 0.95)))) |

            Bulk load of the scale data set: \(String(format: "%.0f", loadSeconds)) s.

            """
    }
}
