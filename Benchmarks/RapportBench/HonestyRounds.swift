// The measures issue 9 point 15 asks for, next to today's ingest references: the physical limit of writing the same
// timeline rows outside Rapport, a merge-heavy round, a retry round and the single-event rate.
import Foundation
import RapportCore

/// Samples gathered by several client threads.
final class SampleBox: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Double] = []
    private var counts: [String: Int] = [:]

    func append(_ more: [Double]) {
        lock.lock()
        defer { lock.unlock() }
        values += more
    }

    func add(_ key: String, _ n: Int) {
        lock.lock()
        defer { lock.unlock() }
        counts[key, default: 0] += n
    }

    var all: [Double] {
        lock.lock()
        defer { lock.unlock() }
        return values
    }

    func count(_ key: String) -> Int {
        lock.lock()
        defer { lock.unlock() }
        return counts[key] ?? 0
    }
}

/// The load side of the rounds: pre-built request bodies sent over `clients` keep-alive connections, one request in
/// flight each.
struct LoadDriver: Sendable {
    let port: Int
    let auth: String
    let clients: Int

    /// Posts every body to `path`; each must answer 200. Returns the seconds taken and the `stored` and `duplicates`
    /// counts the batch answers report.
    func send(_ bodies: [[UInt8]], path: String = "/v1/batch", retryEach: Bool = false) async throws
        -> (seconds: Double, stored: Int, duplicates: Int)
    {
        let clock = ContinuousClock()
        let began = clock.now
        let counts = SampleBox()
        let auth = self.auth, port = self.port, clients = self.clients
        try await KeepAliveClient.onThreads(clients) { worker in
            let connection = try KeepAliveClient(port: port)
            let mine = stride(from: worker, to: bodies.count, by: clients).map { bodies[$0] }
            // With `retryEach`, every batch is sent again once, after the next one: as a client that timed out
            // waiting for an answer retries, while the first attempt was in fact committed.
            var order: [[UInt8]] = []
            for (i, body) in mine.enumerated() {
                order.append(body)
                if retryEach, i > 0 { order.append(mine[i - 1]) }
            }
            if retryEach, let last = mine.last { order.append(last) }
            for body in order {
                let answer = try connection.send(method: "POST", path: path,
                                                 headers: [("Authorization", auth), ("Content-Type", "application/json")],
                                                 body: body)
                guard answer.status == 200 else {
                    fatalError("\(path) answered \(answer.status): \(String(decoding: answer.body, as: UTF8.self))")
                }
                if let fields = JSONValue.parse(bytes: answer.body) {
                    counts.add("stored", Int(fields["stored"]?.numberValue ?? 0))
                    counts.add("duplicates", Int(fields["duplicates"]?.numberValue ?? 0))
                }
            }
        }
        return (seconds(clock.now - began), counts.count("stored"), counts.count("duplicates"))
    }

    /// Posts one message a request to `/v1/track` over `connections` keep-alive connections; returns requests/s and
    /// the latency percentiles in milliseconds.
    func singleEvents(_ bodies: [[UInt8]], connections: Int) async throws -> (rate: Double, p50: Double, p99: Double) {
        let clock = ContinuousClock()
        let began = clock.now
        let samples = SampleBox()
        let auth = self.auth, port = self.port
        try await KeepAliveClient.onThreads(connections) { worker in
            let connection = try KeepAliveClient(port: port)
            var mine: [Double] = []
            for index in stride(from: worker, to: bodies.count, by: connections) {
                let sent = clock.now
                let answer = try connection.send(method: "POST", path: "/v1/track",
                                                 headers: [("Authorization", auth), ("Content-Type", "application/json")],
                                                 body: bodies[index])
                guard answer.status == 200 else {
                    fatalError("/v1/track answered \(answer.status): \(String(decoding: answer.body, as: UTF8.self))")
                }
                mine.append(seconds(clock.now - sent) * 1000)
            }
            samples.append(mine)
        }
        let elapsed = seconds(clock.now - began)
        let latencies = samples.all
        return (Double(latencies.count) / elapsed, percentile(latencies, 0.5), percentile(latencies, 0.99))
    }
}

/// The physical limit: the same timeline rows written outside Rapport by `scripts/lib/physical_limit.py` (Python's
/// `sqlite3` with Rapport's PRAGMAs, or PostgreSQL `COPY` through psql) into the same table of the same database.
struct PhysicalLimit {
    let script: String
    let database: String
    let transaction: Int
    let psql: String

    /// Writes `rows` as CSV (PostgreSQL's CSV format; every text quoted, so an empty name is the only NULL) to a
    /// temporary file, runs the script on it and returns its rows/s and the method it names.
    func measure(_ rows: [Activity]) throws -> (rate: Double, method: String) {
        func quoted(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        var csv = ""
        csv.reserveCapacity(rows.count * 1_400)
        for row in rows {
            csv += [quoted(row.workspaceId), quoted(row.id), quoted(row.customerId), quoted(row.kind.rawValue),
                    row.name.map(quoted) ?? "", String(row.occurredAt), String(row.receivedAt),
                    row.messageId.map(quoted) ?? "", quoted(row.properties.jsonText), quoted(row.context.jsonText)]
                .joined(separator: ",")
            csv += "\n"
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rapport-bench-limit-\(UUID().uuidString).csv")
        try csv.write(to: file, atomically: false, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, "--database", database, "--rows", file.path,
                             "--transaction", String(transaction), "--psql", psql]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0, text.hasPrefix("rows_per_second "),
              let rate = Double(text.split(separator: " ")[1])
        else {
            throw KeepAliveClient.Failure(description: "physical limit failed (\(process.terminationStatus)): \(text)")
        }
        let method = text.components(separatedBy: " method ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        return (rate, method)
    }
}

/// The per-round results of the new measures; each is reported as the median of the steady rounds.
struct HonestyRounds {
    var limit: [Double] = [], limitMethod = ""
    var merge: [Double] = [], mergesRecorded: [Int] = []
    var retryHandled: [Double] = [], retryNew: [Double] = [], retryDuplicates: [Int] = [], retrySent: [Int] = []
    var single: [Double] = [], singleP50: [Double] = [], singleP99: [Double] = []
}

/// Message bodies for the rounds: the analytics.js-style messages of `trackMessage`, with other identities.
enum RoundMessages {
    /// The people the merge-heavy rounds log in: `pairs` identified people and as many anonymous visitors, stored
    /// before the rounds, in batches of 100.
    static func mergeSetup(pairs: Int) throws -> [[UInt8]] {
        var messages: [[String: Any]] = []
        for k in 0..<pairs {
            messages.append(["type": "identify", "userId": "merge-user-\(k)", "messageId": "merge-identify-\(k)",
                             "traits": ["email": "merge\(k)@example.com", "name": "Merge Person \(k)"]])
            messages.append(["type": "page", "anonymousId": "merge-anon-\(k)", "messageId": "merge-page-\(k)", "name": "Home",
                             "properties": ["url": "https://shop.example.com/"]])
        }
        return try batches(messages)
    }

    /// Track messages that each name the userId of one stored profile and the anonymousId of another (an anonymous
    /// visitor who logs in), so every message merges two profiles; pairs `range`.
    static func merges(_ range: Range<Int>, at start: Int64, rng: inout SeededGenerator) throws -> [[UInt8]] {
        let messages = range.map { k -> [String: Any] in
            var message = trackMessage(user: k, index: k, at: start + Int64(k), rng: &rng)
            message["messageId"] = "merge-track-\(k)"
            message["userId"] = "merge-user-\(k)"
            message["anonymousId"] = "merge-anon-\(k)"
            message["event"] = "Signed In"
            return message
        }
        return try batches(messages)
    }

    /// `count` track messages of known people (`customers` of them), new message ids, batches of 100.
    static func known(_ count: Int, customers: Int, tag: String, at start: Int64, rng: inout SeededGenerator) throws -> [[String: Any]] {
        (0..<count).map { n in
            var message = trackMessage(user: Int(rng.next() % UInt64(customers)), index: n, at: start + Int64(n), rng: &rng)
            message["messageId"] = "\(tag)-\(n)"
            return message
        }
    }

    /// The timeline row a track message becomes (its name, properties and context, as the server stores them), for
    /// the references that write the same rows; ids, workspace and profile are the caller's to fill in.
    static func timelineRow(of message: [String: Any], occurredAt: Int64, receivedAt: Int64) throws -> Activity {
        let json = JSONValue.parse(String(decoding: try JSONSerialization.data(withJSONObject: message), as: UTF8.self)) ?? [:]
        return Activity(id: "", workspaceId: "", customerId: "", kind: .track, name: json["event"]?.stringValue,
                        occurredAt: occurredAt, receivedAt: receivedAt, messageId: nil,
                        properties: json["properties"] ?? [:], context: json["context"] ?? [:])
    }

    static func batches(_ messages: [[String: Any]]) throws -> [[UInt8]] {
        try stride(from: 0, to: messages.count, by: 100).map { chunk in
            let batch = Array(messages[chunk..<min(chunk + 100, messages.count)])
            return [UInt8](try JSONSerialization.data(withJSONObject: ["batch": batch,
                                                                        "sentAt": Timestamp.iso8601(Date().millisSince1970)]))
        }
    }

    static func singles(_ messages: [[String: Any]]) throws -> [[UInt8]] {
        try messages.map { message in
            var single = message
            single["sentAt"] = Timestamp.iso8601(Date().millisSince1970)
            return [UInt8](try JSONSerialization.data(withJSONObject: single))
        }
    }
}
