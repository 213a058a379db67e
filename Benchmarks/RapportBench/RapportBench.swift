// RapportBench: measures Rapport against a reference taken in the same run (see docs/benchmarks.md).
//
//  1. Ingest: realistic 1–2 KB Segment `track` messages posted in batches of 100 to /v1/batch of the real app over
//     loopback HTTP (identity resolution, profile updates, timeline rows, all committed before the 200), against the
//     raw insert rate of the same timeline rows into the same table, 100 rows per transaction, through the same
//     database client.
//  2. Timeline and search latency at scale: the REST endpoints against the bare SQL query that answers them; before
//     them, ingest and merges into that workspace of a million people (LargeWorkspace.swift).
//
//  3. Issue 9 point 15: the physical limit (the same timeline rows written outside Rapport: Python's sqlite3 or
//     PostgreSQL COPY, see scripts/lib/physical_limit.py), a merge-heavy round, a retry round with duplicate
//     messageIds and the single-event rate of /v1/track, each against its aim (HonestyRounds.swift, Aims.swift).
//  4. The job queue (issue 10 §2): `noop` jobs drained by one and two `rapport worker` processes, and due → done
//     latency under a steady load, against the same protocol run by the database's plain client
//     (JobQueueBench.swift, scripts/lib/job_reference.py). Runs first, on an empty queue, when --rapport and
//     --job-reference are given; `--only jobs` runs nothing else.
//
// Usage: RapportBench --database URL [--events N] [--customers N] [--scale-customers N] [--scale-events N]
//        [--scale-rounds N] [--scale-ingest-events N]
//        [--rounds N] [--clients N] [--merge-events N] [--retry-events N] [--single-events N]
//        [--single-connections N] [--physical-limit scripts/lib/physical_limit.py] [--limit-transaction N] [--psql PATH]
//        [--only jobs|ingest] [--rapport PATH --job-reference scripts/lib/job_reference.py] [--jobs N]
//        [--job-latency-jobs N] [--job-rate N] [--job-concurrency N] [--job-poll-millis N] [--job-rounds N]
//        [--jobs-output FILE]
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

struct Options {
    var database = "sqlite:/tmp/rapport-bench/bench.sqlite"
    var events = 20_000
    var customers = 2_000
    var scaleCustomers = 1_000_000
    var scaleEvents = 3_000_000
    /// Rounds of ingest into the scale workspace (LargeWorkspace.swift); 0 skips them.
    var scaleRounds = 2
    /// Known people's messages a round of those; each round also merges `mergeEvents` visitors who log in.
    var scaleIngestEvents = 20_000
    var output: String?
    var clients = 8
    var rounds = 4
    /// `PRAGMA synchronous` of the SQLite database (Rapport's default is full), to measure what the sync costs.
    var sqliteSynchronous = "full"
    /// Messages a merge-heavy round sends (each merges two stored profiles); 0 skips the round.
    var mergeEvents = 2_000
    /// Messages a retry round sends, each batch twice; 0 skips the round.
    var retryEvents = 10_000
    /// Single-event requests (`/v1/track`) a round sends, over `singleConnections` connections; 0 skips them.
    var singleEvents = 20_000
    var singleConnections = 64
    /// `scripts/lib/physical_limit.py`; without it the physical-limit reference is skipped.
    var limitScript: String?
    var limitTransaction = 2_000
    var psql = "psql"
    /// `jobs`: only the job queue benchmark; `ingest`: everything but it; empty: both.
    var only = ""
    var jobs = JobBenchOptions()
    /// Where the job queue's section goes (it is printed either way).
    var jobsOutput: String?

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
            case "--scale-rounds": scaleRounds = max(0, Int(value) ?? scaleRounds)
            case "--scale-ingest-events": scaleIngestEvents = max(100, Int(value) ?? scaleIngestEvents)
            case "--output": output = value
            case "--clients": clients = Int(value) ?? clients
            case "--rounds": rounds = max(1, Int(value) ?? rounds)
            case "--sqlite-synchronous": sqliteSynchronous = value
            case "--merge-events": mergeEvents = max(0, Int(value) ?? mergeEvents)
            case "--retry-events": retryEvents = max(0, Int(value) ?? retryEvents)
            case "--single-events": singleEvents = max(0, Int(value) ?? singleEvents)
            case "--single-connections": singleConnections = max(1, Int(value) ?? singleConnections)
            case "--physical-limit": limitScript = value.isEmpty ? nil : value
            case "--limit-transaction": limitTransaction = max(1, Int(value) ?? limitTransaction)
            case "--psql": psql = value
            case "--only": only = value
            case "--jobs": jobs.jobs = max(2, Int(value) ?? jobs.jobs)
            case "--job-latency-jobs": jobs.latencyJobs = max(0, Int(value) ?? jobs.latencyJobs)
            case "--job-concurrency": jobs.concurrency = max(1, Int(value) ?? jobs.concurrency)
            case "--job-poll-millis": jobs.pollMillis = max(50, Int(value) ?? jobs.pollMillis)
            case "--job-rounds": jobs.rounds = max(1, Int(value) ?? jobs.rounds)
            case "--job-rate": jobs.rate = max(0, Double(value) ?? jobs.rate)
            case "--rapport": jobs.rapport = value
            case "--job-reference": jobs.reference = value
            case "--jobs-output": jobsOutput = value
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

func median(_ values: [Double]) -> Double { percentile(values, 0.5) }

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
        guard let synchronous = SQLiteSynchronous(rawValue: options.sqliteSynchronous) else {
            fatalError("--sqlite-synchronous must be full or normal")
        }
        let database = try await DatabaseClient.connect(url, sqlite: SQLiteOptions(synchronous: synchronous), logger: logger)
        try await Migrator(database: database).migrate()
        if options.only != "ingest", !options.jobs.rapport.isEmpty, !options.jobs.reference.isEmpty {
            try await runJobs(options, database: database, url: url)
        }
        if options.only == "jobs" {
            await database.shutdown()
            return
        }
        var config = AppConfig()
        config.database = url
        config.bcryptCost = 4
        let services = AppServices(config: config, database: database)
        let workspace = try await services.workspaces.create(name: "Bench \(UUID().uuidString.prefix(8))", creator: nil)
        let (_, trackKey) = try await services.apiKeys.create(nil, workspaceId: workspace.id, name: "bench", scope: .track)
        let auth = "Basic " + Data("\(trackKey):".utf8).base64EncodedString()
        let start = Date().millisSince1970 - 86_400_000
        let store = SQLDataStore(database: database)
        let clock = ContinuousClock()

        // Rounds alternate the three measures, so a slow spell of this shared machine hits all of them; each
        // reports the median of its rounds and the ratio is the median of the rounds' ratios.
        let router = try await buildRouter(services: services)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: logger)
        let clients = options.clients
        let workspaceId = workspace.id
        var averageMessage = 0
        var people: [String: Customer] = [:]
        var ingestRates: [Double] = [], rawRates: [Double] = [], profileRates: [Double] = []
        var honesty = HonestyRounds()
        // The people the merge-heavy rounds log in, stored before the rounds: one identified person and one anonymous
        // visitor per merge.
        if options.mergeEvents > 0 {
            let setup = try RoundMessages.mergeSetup(pairs: options.mergeEvents * options.rounds)
            FileHandle.standardError.write(Data("phase: merge setup (\(setup.count) batches)\n".utf8))
            _ = try await app.test(.live) { client in
                try await LoadDriver(port: client.port!, auth: auth, clients: clients).send(setup)
            }
        }
        let limit = options.limitScript.map {
            PhysicalLimit(script: $0, database: options.database, transaction: options.limitTransaction, psql: options.psql)
        }
        for round in 0..<options.rounds {
            // Pre-built batches, so that client-side JSON encoding is not measured; the references store the same
            // messages' timeline rows.
            var rng = SeededGenerator(seed: UInt64(7 + round))
            var bodies: [[UInt8]] = []
            var rows: [(person: Int, activity: Activity)] = []
            var totalBytes = 0
            for b in 0..<(options.events / 100) {
                let messages = (0..<100).map { i in
                    let n = round * options.events + b * 100 + i
                    return (Int(rng.next() % UInt64(options.customers)), n)
                }.map { person, n in
                    (person, n, trackMessage(user: person, index: n, at: start + Int64(n), rng: &rng))
                }
                let data = try JSONSerialization.data(withJSONObject: ["batch": messages.map(\.2), "sentAt": Timestamp.iso8601(Date().millisSince1970)])
                totalBytes += data.count
                bodies.append([UInt8](data))
                for (person, n, message) in messages {
                    var row = try RoundMessages.timelineRow(of: message, occurredAt: start + Int64(n), receivedAt: start)
                    row.workspaceId = workspaceId
                    rows.append((person, row))
                }
            }
            averageMessage = totalBytes / max(1, options.events)

            // Ingest: `clients` keep-alive connections with one request in flight each, as a server receiving from
            // many sources sees them (see KeepAliveClient for why not URLSession).
            let batches = bodies
            // The other rounds' bodies, built before the clock starts: merges of this round's pairs, known people's
            // messages for the retry round and for single events.
            let mergeBodies = try RoundMessages.merges(round * options.mergeEvents..<(round + 1) * options.mergeEvents,
                                                       at: start, rng: &rng)
            let retryBodies = try RoundMessages.batches(
                RoundMessages.known(options.retryEvents, customers: options.customers, tag: "retry-\(round)", at: start, rng: &rng))
            let singleBodies = try RoundMessages.singles(
                RoundMessages.known(options.singleEvents, customers: options.customers, tag: "single-\(round)", at: start, rng: &rng))
            let mergesBefore = try await mergeCount(database, workspaceId)
            let ingestRate = try await app.test(.live) { client -> Double in
                let port = client.port!
                let began = clock.now
                FileHandle.standardError.write(Data("phase: ingest\n".utf8))
                try await KeepAliveClient.onThreads(clients) { worker in
                    let connection = try KeepAliveClient(port: port)
                    for body in stride(from: worker, to: batches.count, by: clients).map({ batches[$0] }) {
                        let answer = try connection.send(method: "POST", path: "/v1/batch",
                                                         headers: [("Authorization", auth), ("Content-Type", "application/json")],
                                                         body: body)
                        guard answer.status == 200 else {
                            fatalError("ingest answered \(answer.status): \(String(decoding: answer.body, as: UTF8.self))")
                        }
                    }
                }
                return Double(batches.count * 100) / seconds(clock.now - began)
            }
            let others = try await app.test(.live) { client -> (merge: Double?, retry: (seconds: Double, stored: Int, duplicates: Int)?,
                                                               single: (rate: Double, p50: Double, p99: Double)?) in
                let driver = LoadDriver(port: client.port!, auth: auth, clients: clients)
                var merge: Double?, retry: (seconds: Double, stored: Int, duplicates: Int)?, single: (rate: Double, p50: Double, p99: Double)?
                if !mergeBodies.isEmpty {
                    FileHandle.standardError.write(Data("phase: merge-heavy\n".utf8))
                    let sent = try await driver.send(mergeBodies)
                    merge = Double(options.mergeEvents) / sent.seconds
                }
                if !retryBodies.isEmpty {
                    FileHandle.standardError.write(Data("phase: retry\n".utf8))
                    retry = try await driver.send(retryBodies, retryEach: true)
                }
                if !singleBodies.isEmpty {
                    FileHandle.standardError.write(Data("phase: single events\n".utf8))
                    single = try await driver.singleEvents(singleBodies, connections: options.singleConnections)
                }
                return (merge, retry, single)
            }
            if let merge = others.merge {
                honesty.merge.append(merge)
                honesty.mergesRecorded.append(try await mergeCount(database, workspaceId) - mergesBefore)
            }
            if let retry = others.retry {
                // Every batch is sent twice: `handled` counts both attempts, `new` only the messages stored once.
                honesty.retryHandled.append(Double(options.retryEvents * 2) / retry.seconds)
                honesty.retryNew.append(Double(retry.stored) / retry.seconds)
                honesty.retryDuplicates.append(retry.duplicates)
                honesty.retrySent.append(options.retryEvents * 2)
            }
            if let single = others.single {
                honesty.single.append(single.rate)
                honesty.singleP50.append(single.p50)
                honesty.singleP99.append(single.p99)
            }
            FileHandle.standardError.write(Data("phase: raw\n".utf8))

            // Reference 1: the same timeline rows, inserted raw, 100 per transaction, through the same database client.
            let timelineRows = rows.enumerated().map { offset, row in
                var activity = row.activity
                activity.id = services.core.ids.next()
                activity.customerId = "raw-\(row.person)"
                activity.messageId = "raw-\(round)-\(offset)"
                return activity
            }
            var began = clock.now
            for chunk in stride(from: 0, to: timelineRows.count, by: 100) {
                let batch = Array(timelineRows[chunk..<min(chunk + 100, timelineRows.count)])
                try await store.write { try await $0.activities.insert(batch) }
            }
            let rawRate = Double(timelineRows.count) / seconds(clock.now - began)

            // Reference 2: the same timeline rows plus the profile rows ingest writes with them, 100 events per
            // transaction, with the statements ingest uses (new people: profile, identifiers and search entry; known
            // people: the first/last-seen update): storage alone, without HTTP, parsing, identity resolution or
            // deduplication.
            began = clock.now
            for chunk in stride(from: 0, to: rows.count, by: 100) {
                var batch: [Activity] = []
                var created: [String: Customer] = [:]
                var touched: [String: Customer] = [:]
                for (offset, row) in rows[chunk..<min(chunk + 100, rows.count)].enumerated() {
                    let key = "raw2-\(row.person)"
                    var customer: Customer
                    if let known = people[key] {
                        customer = known
                    } else {
                        customer = Customer(id: services.core.ids.next(), workspaceId: workspaceId, createdAt: start,
                                            updatedAt: start, firstSeenAt: row.activity.occurredAt, lastSeenAt: row.activity.occurredAt)
                        created[key] = customer
                    }
                    customer.seen(at: row.activity.occurredAt)
                    people[key] = customer
                    if created[key] != nil { created[key] = customer } else { touched[key] = customer }
                    var activity = row.activity
                    activity.id = services.core.ids.next()
                    activity.customerId = customer.id
                    activity.messageId = "raw2-\(round)-\(chunk + offset)"
                    batch.append(activity)
                }
                let newProfiles = Array(created.values)
                // New people come with their identifiers (user id and anonymous id) and a search entry, as in ingest.
                let identifiers = created.flatMap { key, customer in
                    [(customerId: customer.id, identifier: Identifier(.userId, key + "-user")),
                     (customerId: customer.id, identifier: Identifier(.anonymousId, key + "-anon"))]
                }
                let search = created.map { key, customer in (customerId: customer.id, values: [key + "-user", key + "-anon"] as [String?]) }
                let seen = touched.values.map { (id: $0.id, first: $0.firstSeenAt, last: $0.lastSeenAt) }
                let timeline = batch
                try await store.write { repos in
                    try await repos.customers.upsert(newProfiles)
                    try await repos.customers.addIdentifiers(workspaceId: workspaceId, identifiers, at: start)
                    try await repos.customers.updateSeen(workspaceId: workspaceId, seen)
                    try await repos.activities.insert(timeline)
                    try await repos.customers.writeSearch(workspaceId: workspaceId, search)
                }
            }
            let profileRate = Double(rows.count) / seconds(clock.now - began)

            // Reference 3, the physical limit: the same timeline rows written outside Rapport, in large transactions
            // (SQLite: Python's sqlite3, executemany; PostgreSQL: COPY), into the same table of the same database.
            if let limit {
                FileHandle.standardError.write(Data("phase: physical limit\n".utf8))
                let limitRows = rows.enumerated().map { offset, row in
                    var activity = row.activity
                    activity.id = services.core.ids.next()
                    activity.customerId = "limit-\(row.person)"
                    activity.messageId = "limit-\(round)-\(offset)"
                    return activity
                }
                let measured = try limit.measure(limitRows)
                honesty.limit.append(measured.rate)
                honesty.limitMethod = measured.method
            }
            print(honesty.roundLine(round, ingest: ingestRate))
            print(String(format: "round %d: ingest %.0f events/s, raw insert %.0f rows/s (ratio %.2f), with profile rows %.0f events/s (ratio %.2f)",
                         round + 1, ingestRate, rawRate, ingestRate / rawRate, profileRate, ingestRate / profileRate))
            ingestRates.append(ingestRate)
            rawRates.append(rawRate)
            profileRates.append(profileRate)
        }
        // Round 1 meets every person for the first time (profiles, identifiers and search entries are created);
        // later rounds are the steady state of known people, reported as the median of their rounds.
        let steady = options.rounds > 1 ? 1..<options.rounds : 0..<1
        let ingest = IngestResult(
            first: RoundResult(ingest: ingestRates[0], raw: rawRates[0], profile: profileRates[0]),
            steady: RoundResult(ingest: median(Array(ingestRates[steady])), raw: median(Array(rawRates[steady])),
                                profile: median(Array(profileRates[steady])),
                                rawRatio: median(steady.map { ingestRates[$0] / rawRates[$0] }),
                                profileRatio: median(steady.map { ingestRates[$0] / profileRates[$0] })),
            steadyRounds: steady.count)
        let aims = AimsResult(rounds: honesty, ingest: ingestRates, steady: steady, database: url.kind)

        // Scale: bulk-load customers and events directly, then time the API against the bare query.
        let scaleWorkspace = try await services.workspaces.create(name: "Scale \(UUID().uuidString.prefix(8))", creator: nil)
        let (_, scaleKey) = try await services.apiKeys.create(nil, workspaceId: scaleWorkspace.id, name: "admin", scope: .admin)
        let (_, scaleTrackKey) = try await services.apiKeys.create(nil, workspaceId: scaleWorkspace.id, name: "track", scope: .track)
        let loadBegan = clock.now
        let scaleWorkspaceId = scaleWorkspace.id
        let visitors = options.scaleRounds * options.mergeEvents
        let customerIds = try await bulkLoad(services: services, database: database, workspaceId: scaleWorkspace.id,
                                             customers: options.scaleCustomers, visitors: visitors, events: options.scaleEvents,
                                             start: start)
        let loadSeconds = seconds(clock.now - loadBegan)
        if database.kind == .postgres {
            // Fresh statistics, as autovacuum gathers them in production shortly after a load; without them the
            // planner still sees the tables as they were before the million rows arrived.
            try await database.write { try await $0.raw("ANALYZE").run() }
        }
        print(String(format: "loaded %d customers and %d events in %.0f s", options.scaleCustomers, options.scaleEvents, loadSeconds))
        let app2 = Application(router: try await buildRouter(services: services), configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                               logger: logger)
        var large: LargeWorkspaceResult?
        if options.scaleRounds > 0 {
            var result = try await LargeWorkspace.run(
                app: app2, services: services, database: database, workspaceId: scaleWorkspaceId,
                trackAuth: "Basic " + Data("\(scaleTrackKey):".utf8).base64EncodedString(), adminKey: scaleKey,
                customers: options.scaleCustomers, visitors: visitors, events: options.scaleIngestEvents, rounds: options.scaleRounds,
                clients: clients, limit: limit, start: start)
            result.smallWorkspaceKnown = ingest.steady.ingest
            result.smallWorkspacePeople = options.customers
            large = result
        }
        let clientClock = ContinuousClock()
        let latency = try await app2.test(.live) { client in
            let clock = clientClock
            let connection = try KeepAliveClient(port: client.port!)
            let queue = DispatchQueue(label: "bench-client")
            func get(_ path: String) async throws -> (Int, String) {
                let answer = try await connection.request("GET", path, headers: [("Authorization", "Bearer \(scaleKey)")], on: queue)
                return (answer.status, String(decoding: answer.body, as: UTF8.self))
            }
            var latency = Latency()
            for i in 0..<200 {
                let id = customerIds[(i * 7919) % customerIds.count]
                var t = clock.now
                let timeline = try await get("/api/v1/customers/\(id)/timeline?limit=50")
                guard timeline.0 == 200 else { fatalError("timeline \(timeline.0)") }
                latency.timelineAPI.append(seconds(clock.now - t) * 1000)
                t = clock.now
                _ = try await database.read { db in
                    try await db.raw("""
                        SELECT id, kind, name, occurred_at, properties, context FROM activities
                        WHERE workspace_id = \(bind: scaleWorkspaceId) AND customer_id = \(bind: id)
                        ORDER BY occurred_at DESC, id DESC LIMIT 51
                        """).all()
                }
                latency.timelineRaw.append(seconds(clock.now - t) * 1000)
                let email = "person\((i * 104_729) % options.scaleCustomers)@example.com"
                t = clock.now
                let search = try await get("/api/v1/customers?search=\(email)")
                guard search.0 == 200, search.1.contains(email) else { fatalError("search \(search.0)") }
                latency.searchAPI.append(seconds(clock.now - t) * 1000)
                t = clock.now
                _ = try await database.read { db in
                    try await db.raw("SELECT id, traits FROM customers WHERE workspace_id = \(bind: scaleWorkspaceId) AND email = \(bind: email)").all()
                }
                latency.searchRaw.append(seconds(clock.now - t) * 1000)
                // A name and the start of another word: one word every profile has ("person") and a prefix.
                let number = String((i * 7_727) % options.scaleCustomers)
                let prefix = String(number.prefix(max(1, number.count - 1)))
                t = clock.now
                let byName = try await get("/api/v1/customers?search=Person%20\(prefix)&limit=20")
                guard byName.0 == 200, byName.1.contains("Person \(prefix)") else { fatalError("name search \(byName.0)") }
                latency.nameAPI.append(seconds(clock.now - t) * 1000)
                // Its next page, by the cursor of the first (when more than 20 match).
                if let cursor = JSONValue.parse(byName.1)?["next_cursor"]?.stringValue {
                    t = clock.now
                    let next = try await get("/api/v1/customers?search=Person%20\(prefix)&limit=20&cursor=\(cursor)")
                    guard next.0 == 200, next.1.contains("Person \(prefix)") else { fatalError("next page \(next.0)") }
                    latency.nextPageAPI.append(seconds(clock.now - t) * 1000)
                }
                t = clock.now
                _ = try await database.read { db in
                    if database.kind == .postgres {
                        try await db.raw("""
                            SELECT customer_id FROM customer_search WHERE workspace_id = \(bind: scaleWorkspaceId)
                            AND document @@ to_tsquery('simple', \(bind: "person & \(prefix):*"))
                            """).all()
                    } else {
                        try await db.raw("""
                            SELECT customer_id FROM customer_search WHERE customer_search MATCH \(bind: "\"person\" \"\(prefix)\"*")
                            AND workspace_id = \(bind: scaleWorkspaceId)
                            """).all()
                    }
                }
                latency.nameRaw.append(seconds(clock.now - t) * 1000)
            }
            return latency
        }
        let report = Report(database: url.kind.rawValue, events: options.events, customers: options.customers, clients: options.clients,
                            messageBytes: averageMessage, ingest: ingest, aims: aims,
                            scaleCustomers: options.scaleCustomers, scaleEvents: options.scaleEvents, loadSeconds: loadSeconds,
                            latency: latency, large: large)
        print(report.markdown)
        if let output = options.output { try report.markdown.write(toFile: output, atomically: true, encoding: .utf8) }
        await database.shutdown()
    }

    /// The job queue benchmark (JobQueueBench.swift), on an empty queue before the ingest rounds.
    static func runJobs(_ options: Options, database: DatabaseClient, url: DatabaseURL) async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("rapport-bench-jobs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let bench = JobQueueBench(database: database, url: options.database, options: options.jobs,
                                  sqliteSynchronous: options.sqliteSynchronous, psql: options.psql, workFolder: work)
        let result = try await bench.run()
        let method = url.kind == .postgres
            ? "psql (autocommit, `FOR UPDATE SKIP LOCKED`), one process a worker"
            : "Python's `sqlite3` \(sqliteVersion()) (`BEGIN IMMEDIATE` a write), one process a worker"
        let markdown = result.markdown(database: url.kind.rawValue, options: options.jobs, referenceMethod: method)
        print(markdown)
        if let output = options.jobsOutput { try markdown.write(toFile: output, atomically: true, encoding: .utf8) }
    }

    /// The SQLite version of Python's `sqlite3` module, which the SQLite reference uses.
    static func sqliteVersion() -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import sqlite3; print(sqlite3.sqlite_version)"]
        let output = Pipe()
        process.standardOutput = output
        guard (try? process.run()) != nil else { return "" }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func mergeCount(_ database: DatabaseClient, _ workspaceId: String) async throws -> Int {
        try await database.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM customer_merges WHERE workspace_id = \(bind: workspaceId)").first()?
                .decode(column: "n", as: Int.self) ?? 0
        }
    }

    /// Writes customers (with identifiers and search entries) and their events, in customer order so that the
    /// indexes grow at their ends (a bulk load in random order spent an hour on page misses at 10M events); every
    /// customer gets the same number of events at random times within a day. Then `visitors` anonymous visitors
    /// (a profile holding only an anonymousId, and one page view), whom LargeWorkspace's merge rounds log in.
    static func bulkLoad(services: AppServices, database: DatabaseClient, workspaceId: String, customers: Int, visitors: Int,
                         events: Int, start: Int64) async throws -> [String] {
        var ids: [String] = []
        let store = SQLDataStore(database: database)
        for chunk in stride(from: 0, to: customers, by: 1000) {
            var profiles: [Customer] = []
            var identifiers: [(customerId: String, identifier: Identifier)] = []
            var search: [(customerId: String, values: [String?])] = []
            for n in chunk..<min(chunk + 1000, customers) {
                let id = services.core.ids.next()
                ids.append(id)
                let customer = Customer(id: id, workspaceId: workspaceId,
                                        traits: ["email": .string("person\(n)@example.com"), "name": .string("Person \(n)")],
                                        createdAt: start, updatedAt: start, firstSeenAt: start, lastSeenAt: start)
                profiles.append(customer)
                identifiers += [(id, Identifier(.userId, LargeWorkspace.userId(n))), (id, Identifier(.email, "person\(n)@example.com")),
                                (id, Identifier(.anonymousId, LargeWorkspace.deviceId(n)))]
                search.append((id, [customer.name, customer.email, customer.phone, LargeWorkspace.userId(n), "person\(n)@example.com",
                                    LargeWorkspace.deviceId(n)]))
            }
            let rows = profiles, owned = identifiers, entries = search
            try await store.write { repos in
                try await repos.customers.upsert(rows)
                try await repos.customers.addIdentifiers(workspaceId: workspaceId, owned, at: start)
                try await repos.customers.writeSearch(workspaceId: workspaceId, entries)
            }
        }
        var rng = SeededGenerator(seed: 11)
        let properties: JSONValue = ["product_id": "sku-1", "price": 24.99, "note": .string(String(repeating: "x", count: 300))]
        let context: JSONValue = ["library": ["name": "analytics.js"], "page": ["path": "/products/1"]]
        var pending: [Activity] = []
        for (index, customerId) in ids.enumerated() {
            let count = events / customers + (index < events % customers ? 1 : 0)
            for _ in 0..<count {
                pending.append(Activity(id: services.core.ids.next(), workspaceId: workspaceId, customerId: customerId,
                                        kind: .track, name: "Product Viewed", occurredAt: start + Int64(rng.next() % 86_400_000),
                                        receivedAt: start, messageId: nil, properties: properties, context: context))
            }
            if pending.count >= 1000 || index == ids.count - 1 {
                let rows = pending
                pending = []
                try await store.write { try await $0.activities.insert(rows) }
            }
        }
        for chunk in stride(from: 0, to: visitors, by: 1000) {
            var profiles: [Customer] = [], identifiers: [(customerId: String, identifier: Identifier)] = []
            var search: [(customerId: String, values: [String?])] = [], views: [Activity] = []
            for k in chunk..<min(chunk + 1000, visitors) {
                let id = services.core.ids.next()
                profiles.append(Customer(id: id, workspaceId: workspaceId, createdAt: start, updatedAt: start, firstSeenAt: start,
                                         lastSeenAt: start))
                identifiers.append((id, Identifier(.anonymousId, LargeWorkspace.visitorId(k))))
                search.append((id, [LargeWorkspace.visitorId(k)]))
                views.append(Activity(id: services.core.ids.next(), workspaceId: workspaceId, customerId: id, kind: .page,
                                      name: "Home", occurredAt: start, receivedAt: start, messageId: nil,
                                      properties: ["url": "https://shop.example.com/"], context: context))
            }
            let rows = profiles, owned = identifiers, entries = search, timeline = views
            try await store.write { repos in
                try await repos.customers.upsert(rows)
                try await repos.customers.addIdentifiers(workspaceId: workspaceId, owned, at: start)
                try await repos.customers.writeSearch(workspaceId: workspaceId, entries)
                try await repos.activities.insert(timeline)
            }
        }
        return ids
    }
}

struct RoundResult {
    var ingest: Double, raw: Double, profile: Double
    var rawRatio: Double, profileRatio: Double

    init(ingest: Double, raw: Double, profile: Double, rawRatio: Double? = nil, profileRatio: Double? = nil) {
        self.ingest = ingest
        self.raw = raw
        self.profile = profile
        self.rawRatio = rawRatio ?? ingest / raw
        self.profileRatio = profileRatio ?? ingest / profile
    }
}

struct Latency {
    var timelineAPI: [Double] = [], timelineRaw: [Double] = [], searchAPI: [Double] = [], searchRaw: [Double] = []
    var nameAPI: [Double] = [], nameRaw: [Double] = [], nextPageAPI: [Double] = []
}

struct IngestResult {
    let first: RoundResult, steady: RoundResult, steadyRounds: Int
}

struct Report {
    let database: String
    let events: Int, customers: Int, clients: Int, messageBytes: Int
    let ingest: IngestResult
    let aims: AimsResult
    let scaleCustomers: Int, scaleEvents: Int, loadSeconds: Double
    let latency: Latency
    let large: LargeWorkspaceResult?

    var markdown: String {
        func ms(_ v: Double) -> String { String(format: "%.2f ms", v) }
        func rate(_ v: Double) -> String { String(format: "%.0f", v) }
        func ratio(_ v: Double) -> String { String(format: "%.2f", v) }
        let s = ingest.steady, f = ingest.first
        func row(_ label: String, _ api: [Double], _ reference: String, _ raw: [Double], _ p: Double) -> String {
            let a = percentile(api, p), r = percentile(raw, p)
            return "| \(label) | \(ms(a)) | \(reference)\(ms(r)) | \(String(format: "%.1f", a / max(0.001, r))) |"
        }
        let l = latency, scale = "\(scaleCustomers) customers / \(scaleEvents) events"
        return """
            ### \(database)

            | measure | Rapport | reference (same run) | ratio |
            | --- | --- | --- | --- |
            | ingest through `/v1/batch`, known people (\(events) events from \(customers) people a round, median of \(ingest.steadyRounds) rounds; batches of 100, ≈\(messageBytes) B/message, \(clients) clients) | \(rate(s.ingest)) events/s | raw insert of the same timeline rows and profile updates: \(rate(s.profile)) events/s | \(ratio(s.profileRatio)) |
            | the same ingest | \(rate(s.ingest)) events/s | raw insert of the same timeline rows alone: \(rate(s.raw)) rows/s | \(ratio(s.rawRatio)) |
            | ingest, first round (every one of the \(customers) people new: profiles, identifiers and search entries created) | \(rate(f.ingest)) events/s | raw insert of the same timeline, profile, identifier and search rows: \(rate(f.profile)) events/s | \(ratio(f.profileRatio)) |
            | the same first round | \(rate(f.ingest)) events/s | raw insert of the same timeline rows alone: \(rate(f.raw)) rows/s | \(ratio(f.rawRatio)) |
            \(row("timeline p50 (`GET /customers/{id}/timeline?limit=50`, \(scale))", l.timelineAPI, "bare SQL query p50: ", l.timelineRaw, 0.5))
            \(row("timeline p95", l.timelineAPI, "", l.timelineRaw, 0.95))
            \(row("search by a full email p50 (`GET /customers?search=person123@example.com`)", l.searchAPI, "indexed `email =` lookup p50: ", l.searchRaw, 0.5))
            \(row("search by a full email p95", l.searchAPI, "", l.searchRaw, 0.95))
            \(row("search by a name and a prefix p50 (`?search=Person 1234&limit=20`: a word every profile has, and the start of another)", l.nameAPI, "bare full-text query (all matches) p50: ", l.nameRaw, 0.5))
            \(row("search by a name and a prefix p95", l.nameAPI, "", l.nameRaw, 0.95))
            \(row("its second page p50 (`&cursor=…`)", l.nextPageAPI, "the same bare query p50: ", l.nameRaw, 0.5))

            Bulk load of the scale data set: \(String(format: "%.0f", loadSeconds)) s.

            \(aims.markdown(events: events, customers: customers, clients: clients))
            \(large.map { "\n" + $0.markdown(clients: clients) } ?? "")
            """
    }
}
