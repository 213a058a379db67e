// Issue 9 point 15: ingest into "a workspace of at least 1M profiles". The scale data set (bulk-loaded, see
// `RapportBench.bulkLoad`) is that workspace; after its load, rounds of known people's `track` messages (each names
// one of the million people, so nearly every message touches a different profile), the same rows written outside
// Rapport (the physical limit at this size), and merge-heavy messages (anonymous visitors of the workspace who log
// in) run against it, then the merged people's profiles are read (point 11: a profile read should cost about what
// the same person's timeline costs).
import Foundation
import Hummingbird
import HummingbirdTesting
import RapportCore
import RapportRuntime
import RapportStore
import SQLKit

struct LargeWorkspaceResult {
    var known: [Double] = [], limit: [Double] = [], limitMethod = ""
    var merge: [Double] = [], merges: [Int] = []
    var profileAPI: [Double] = [], timelineAPI: [Double] = []
    /// The known-people rate of the small workspace's steady rounds, measured earlier in the same run.
    var smallWorkspaceKnown: Double = 0, smallWorkspacePeople = 0
    var customers = 0, visitors = 0, events = 0

    func markdown(clients: Int) -> String {
        func rate(_ v: Double) -> String { String(format: "%.0f", v) }
        let known = median(self.known), rounds = self.known.count
        var lines = [
            "#### A workspace of \(customers) people and \(visitors) anonymous visitors (issue 9, point 15; median of \(rounds) round\(rounds == 1 ? "" : "s"))",
            "",
            "| measure | Rapport | reference (same run) | ratio |",
            "| --- | --- | --- | --- |",
            "| known people's `track` messages (\(events) a round, each naming a random one of the \(customers) people; batches of 100, \(clients) clients) | \(rate(known)) events/s | the same ingest in the small workspace (\(smallWorkspacePeople) people), same run: \(rate(smallWorkspaceKnown)) events/s | \(String(format: "%.2f", known / max(1, smallWorkspaceKnown))) |",
        ]
        if !limit.isEmpty {
            let ratio = median(zip(self.known, limit).map { $0 / $1 })
            lines.append("| the same ingest against the physical limit in this workspace | \(rate(known)) events/s | the same timeline rows into the same table outside Rapport (\(limitMethod)): \(rate(median(limit))) rows/s | \(verdict(ratio, 0.5)) |")
        }
        if !merge.isEmpty {
            let ratio = median(zip(merge, self.known).map { $0 / $1 })
            lines.append("| merge-heavy (each message names the userId of one of the people and the anonymousId of a stored visitor: \(spread(merges)) merges recorded a round) | \(rate(median(merge))) events/s | known people in this workspace, same round: \(rate(known)) events/s | \(verdict(ratio, 0.25)) |")
        }
        if !profileAPI.isEmpty {
            for p in [0.5, 0.95] {
                let api = percentile(profileAPI, p), reference = percentile(timelineAPI, p)
                lines.append(String(format: "| profile read p%.0f (`GET /api/v1/customers/{id}` of the people the merge rounds merged) | %.2f ms | their timelines (`GET …/timeline?limit=50`) p%.0f: %.2f ms | %.1f (point 11: about 1) |",
                                    p * 100, api, p * 100, reference, api / max(0.001, reference)))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

enum LargeWorkspace {
    /// The userId, anonymousId and email the bulk load gives person `n` of the scale workspace.
    static func userId(_ n: Int) -> String { "scale-\(n)" }
    static func deviceId(_ n: Int) -> String { "scale-device-\(n)" }
    /// The anonymousId of visitor `k`: a profile holding only it, which merge round messages log in.
    static func visitorId(_ k: Int) -> String { "scale-visitor-\(k)" }

    /// Known people's track messages: `count` of them, each naming a random person of `customers` (userId and the
    /// person's stored anonymousId), batches of 100.
    static func known(_ count: Int, customers: Int, round: Int, at start: Int64, rng: inout SeededGenerator)
        throws -> (bodies: [[UInt8]], rows: [Activity])
    {
        var messages: [[String: Any]] = []
        var rows: [Activity] = []
        for n in 0..<count {
            let person = Int(rng.next() % UInt64(customers))
            var message = trackMessage(user: person, index: n, at: start + Int64(n), rng: &rng)
            message["messageId"] = "scale-\(round)-\(n)"
            message["userId"] = userId(person)
            message["anonymousId"] = deviceId(person)
            messages.append(message)
            var row = try RoundMessages.timelineRow(of: message, occurredAt: start + Int64(n), receivedAt: start)
            row.customerId = "limit-\(person)"
            rows.append(row)
        }
        return (try RoundMessages.batches(messages), rows)
    }

    /// Merge-heavy messages: person `k` logs in on visitor `k`'s device, for `range`.
    static func merges(_ range: Range<Int>, at start: Int64, rng: inout SeededGenerator) throws -> [[UInt8]] {
        try RoundMessages.batches(range.map { k in
            var message = trackMessage(user: k, index: k, at: start + Int64(k), rng: &rng)
            message["messageId"] = "scale-merge-\(k)"
            message["userId"] = userId(k)
            message["anonymousId"] = visitorId(k)
            message["event"] = "Signed In"
            return message
        })
    }

    /// Runs `rounds` rounds of known people, physical limit and merges against the loaded workspace, then reads the
    /// merged people's profiles and timelines.
    static func run(app: some ApplicationProtocol, services: AppServices, database: DatabaseClient, workspaceId: String,
                    trackAuth: String, adminKey: String, customers: Int, visitors: Int, events: Int, rounds: Int,
                    clients: Int, limit: PhysicalLimit?, start: Int64) async throws -> LargeWorkspaceResult {
        var result = LargeWorkspaceResult(customers: customers, visitors: visitors, events: events)
        let perRound = rounds > 0 ? visitors / rounds : 0
        var rng = SeededGenerator(seed: 101)
        for round in 0..<rounds {
            let (bodies, rows) = try known(events, customers: customers, round: round, at: start, rng: &rng)
            let mergeBodies = try merges(round * perRound..<(round + 1) * perRound, at: start, rng: &rng)
            let before = try await RapportBench.mergeCount(database, workspaceId)
            let sent = try await app.test(.live) { client in
                let driver = LoadDriver(port: client.port!, auth: trackAuth, clients: clients)
                FileHandle.standardError.write(Data("phase: large workspace, known people\n".utf8))
                let known = try await driver.send(bodies)
                FileHandle.standardError.write(Data("phase: large workspace, merge-heavy\n".utf8))
                let merged = mergeBodies.isEmpty ? nil : try await driver.send(mergeBodies)
                return (known.seconds, merged?.seconds)
            }
            result.known.append(Double(events) / sent.0)
            if let seconds = sent.1 {
                result.merge.append(Double(perRound) / seconds)
                result.merges.append(try await RapportBench.mergeCount(database, workspaceId) - before)
            }
            if let limit {
                FileHandle.standardError.write(Data("phase: large workspace, physical limit\n".utf8))
                let measured = try limit.measure(rows.enumerated().map { offset, row in
                    var activity = row
                    activity.id = services.core.ids.next()
                    activity.workspaceId = workspaceId
                    activity.messageId = "scale-limit-\(round)-\(offset)"
                    return activity
                })
                result.limit.append(measured.rate)
                result.limitMethod = measured.method
            }
            print(String(format: "large workspace round %d: known people %.0f events/s%@%@", round + 1, result.known[round],
                         result.limit.count > round ? String(format: ", physical limit %.0f rows/s", result.limit[round]) : "",
                         result.merge.count > round ? String(format: ", merge-heavy %.0f events/s (%d merges)", result.merge[round], result.merges[round]) : ""))
        }
        // The survivors of the merges: the people whose profiles now hold a visitor's history and a merge record.
        let merged = min(200, perRound * rounds)
        guard merged > 0 else { return result }
        let ids = try await database.read { db in
            try await db.raw("""
                SELECT survivor_id FROM customer_merges WHERE workspace_id = \(bind: workspaceId)
                ORDER BY merged_at, id LIMIT \(unsafeRaw: String(merged))
                """).all().map { try $0.decode(column: "survivor_id", as: String.self) }
        }
        let reads = try await app.test(.live) { client -> (profile: [Double], timeline: [Double]) in
            let connection = try KeepAliveClient(port: client.port!)
            let queue = DispatchQueue(label: "bench-large-workspace")
            let clock = ContinuousClock()
            var profile: [Double] = [], timeline: [Double] = []
            for id in ids {
                for (path, isProfile) in [("/api/v1/customers/\(id)", true), ("/api/v1/customers/\(id)/timeline?limit=50", false)] {
                    let began = clock.now
                    let answer = try await connection.request("GET", path, headers: [("Authorization", "Bearer \(adminKey)")], on: queue)
                    guard answer.status == 200 else { fatalError("\(path) answered \(answer.status)") }
                    let millis = seconds(clock.now - began) * 1000
                    if isProfile { profile.append(millis) } else { timeline.append(millis) }
                }
            }
            return (profile, timeline)
        }
        result.profileAPI = reads.profile
        result.timelineAPI = reads.timeline
        return result
    }
}
