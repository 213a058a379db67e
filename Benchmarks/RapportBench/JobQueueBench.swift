// The job queue benchmark (issue 10 §2): jobs/s through the queue with empty handlers, one and two `rapport worker`
// processes on one database, and the delay from a job being due to its being done under a steady load, each next to
// the same queue protocol run by the database's own plain client in the same run (scripts/lib/job_reference.py).
import Foundation
import RapportCore
import RapportStore
import SQLKit

struct JobBenchOptions {
    /// `noop` jobs drained a round by each side.
    var jobs = 20_000
    /// Jobs due at a steady rate in the latency round.
    var latencyJobs = 2_000
    /// Slots of each `rapport worker` (`JOB_CONCURRENCY`); the reference runs as many workers in all.
    var concurrency = 2
    /// `JOB_POLL_MILLIS` of the workers, and the reference's wait after a claim that found nothing.
    var pollMillis = 1_000
    var rounds = 2
    /// Jobs falling due per second in the latency round; 0: half the slower side's one-process drain rate of this run.
    /// Fix it to compare runs (before and after a change) at the same load.
    var rate = 0.0
    /// The release `rapport` binary whose `worker` command is measured.
    var rapport = ""
    /// scripts/lib/job_reference.py.
    var reference = ""
}

/// Drains and latency rounds of the job queue: Rapport's worker processes against the reference, alternated so a slow
/// spell of the shared machine hits both.
struct JobQueueBench {
    let database: DatabaseClient
    /// The database as `rapport worker --database` and the reference script take it.
    let url: String
    let options: JobBenchOptions
    let sqliteSynchronous: String
    let psql: String
    let workFolder: URL

    /// What one side measured from the table after a round.
    struct Drained {
        var jobs: Int
        /// (jobs - 1) over the time from the first completion to the last, so that start-up and the first poll are
        /// not counted.
        var rate: Double
        /// Jobs claimed more than once (a lost lease or a double delivery); expected 0.
        var rerun: Int
        /// `finished_at - run_at` of every job, in ms.
        var dueToDone: [Double]
    }

    struct Result {
        var oneRapport: [Double] = [], oneReference: [Double] = []
        var twoRapport: [Double] = [], twoReference: [Double] = []
        var rerun = 0
        var steadyRate = 0.0
        var latencyRapport: [Double] = [], latencyReference: [Double] = []
    }

    func run() async throws -> Result {
        var result = Result()
        for round in 0..<options.rounds {
            for processes in [1, 2] {
                log("jobs round \(round + 1): drain with \(processes) rapport worker process(es)")
                let rapport = try await drainWithRapport(processes: processes)
                log("jobs round \(round + 1): drain by the reference, \(processes * options.concurrency) workers")
                let reference = try await drainWithReference(workers: processes * options.concurrency)
                log(String(format: "jobs round %d, %d process(es): rapport %.0f jobs/s, reference %.0f jobs/s",
                           round + 1, processes, rapport.rate, reference.rate))
                if processes == 1 {
                    result.oneRapport.append(rapport.rate)
                    result.oneReference.append(reference.rate)
                } else {
                    result.twoRapport.append(rapport.rate)
                    result.twoReference.append(reference.rate)
                }
                result.rerun += rapport.rerun
            }
        }
        // Under load: jobs fall due at half the rate the slower side drained with one process's worth of workers, so
        // both are busy but keep up; what is left is the wait for a claim (a poll, a busy writer) and the run's writes.
        if options.latencyJobs > 0 {
            result.steadyRate = options.rate > 0
                ? options.rate : max(1, min(middle(result.oneRapport), middle(result.oneReference)) / 2)
            log(String(format: "jobs latency: %d jobs due at %.0f jobs/s", options.latencyJobs, result.steadyRate))
            let rapport = try await steadyWithRapport(rate: result.steadyRate)
            let reference = try await steadyWithReference(rate: result.steadyRate)
            result.latencyRapport = rapport.dueToDone
            result.latencyReference = reference.dueToDone
            result.rerun += rapport.rerun
        }
        return result
    }

    // MARK: Rapport

    func drainWithRapport(processes: Int) async throws -> Drained {
        try await reset()
        let workers = try startWorkers(processes)
        defer { stop(workers) }
        try await enqueue(count: options.jobs, firstDue: Date().millisSince1970, every: 0)
        try await waitUntilDone(workers)
        return try await measure()
    }

    func steadyWithRapport(rate: Double) async throws -> Drained {
        try await reset()
        let workers = try startWorkers(1)
        defer { stop(workers) }
        try await enqueue(count: options.latencyJobs, firstDue: Date().millisSince1970 + 500, every: 1_000 / rate)
        try await waitUntilDone(workers)
        return try await measure()
    }

    /// Starts `count` `rapport worker` processes and waits until each has said it runs.
    func startWorkers(_ count: Int) throws -> [(process: Process, log: URL)] {
        var started: [(process: Process, log: URL)] = []
        for n in 0..<count {
            let log = workFolder.appendingPathComponent("worker-\(n)-\(UUID().uuidString.prefix(6)).log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let handle = try FileHandle(forWritingTo: log)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: options.rapport)
            process.arguments = ["worker", "--database", url]
            var environment = ProcessInfo.processInfo.environment
            environment["JOB_CONCURRENCY"] = String(options.concurrency)
            environment["JOB_POLL_MILLIS"] = String(options.pollMillis)
            environment["SQLITE_SYNCHRONOUS"] = sqliteSynchronous
            environment["LOG_LEVEL"] = "notice"
            environment.removeValue(forKey: "DATABASE_URL")
            process.environment = environment
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            started.append((process, log))
        }
        let deadline = Date().addingTimeInterval(60)
        for worker in started {
            while !((try? String(contentsOf: worker.log, encoding: .utf8))?.contains("Rapport worker on") ?? false) {
                guard worker.process.isRunning, Date() < deadline else {
                    stop(started)
                    let text = (try? String(contentsOf: worker.log, encoding: .utf8)) ?? ""
                    throw KeepAliveClient.Failure(description: "rapport worker did not start: \(text.suffix(2_000))")
                }
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        return started
    }

    /// Graceful shutdown (SIGTERM), as an operator stops a worker.
    func stop(_ workers: [(process: Process, log: URL)]) {
        for worker in workers where worker.process.isRunning { worker.process.terminate() }
        for worker in workers { worker.process.waitUntilExit() }
    }

    func waitUntilDone(_ workers: [(process: Process, log: URL)]) async throws {
        let deadline = Date().addingTimeInterval(3_600)
        while try await unfinished() > 0 {
            for worker in workers where !worker.process.isRunning {
                let text = (try? String(contentsOf: worker.log, encoding: .utf8)) ?? ""
                throw KeepAliveClient.Failure(description: "a rapport worker exited: \(text.suffix(2_000))")
            }
            guard Date() < deadline else { throw KeepAliveClient.Failure(description: "the queue did not drain in an hour") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    // MARK: Reference

    func drainWithReference(workers: Int) async throws -> Drained {
        try await reset()
        try await enqueue(count: options.jobs, firstDue: Date().millisSince1970, every: 0)
        try runReference(workers: workers)
        return try await measure()
    }

    func steadyWithReference(rate: Double) async throws -> Drained {
        try await reset()
        // Python's start-up (a process per SQLite worker) comes before the first job falls due.
        try await enqueue(count: options.latencyJobs, firstDue: Date().millisSince1970 + 1_000, every: 1_000 / rate)
        try runReference(workers: options.concurrency)
        return try await measure()
    }

    func runReference(workers: Int) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", options.reference, "--database", url, "--workers", String(workers),
                             "--poll-millis", String(options.pollMillis), "--synchronous", sqliteSynchronous.uppercased(),
                             "--psql", psql]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw KeepAliveClient.Failure(description: "job reference failed (\(process.terminationStatus)): "
                                          + String(decoding: data, as: UTF8.self))
        }
    }

    // MARK: The table

    func reset() async throws {
        try await database.write { try await $0.raw("DELETE FROM jobs").run() }
    }

    /// Enqueues `count` `noop` jobs in one transaction through Rapport's repository (so both sides find the same
    /// rows), the first due at `firstDue` and each next one `every` ms later.
    func enqueue(count: Int, firstDue: Int64, every: Double) async throws {
        let now = Date().millisSince1970
        let jobs = (0..<count).map { n in
            Job(id: String(format: "bench-%08d", n), kind: NoopJobHandler.kind, now: now,
                runAt: firstDue + Int64((Double(n) * every).rounded()))
        }
        let store = SQLDataStore(database: database)
        try await store.write { repos in
            for job in jobs { _ = try await repos.jobs.enqueue(job) }
        }
    }

    func unfinished() async throws -> Int {
        try await database.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM jobs WHERE kind = 'noop' AND state <> 'succeeded'").first()?
                .decode(column: "n", as: Int.self) ?? 0
        }
    }

    func measure() async throws -> Drained {
        let rows = try await database.read { db in
            try await db.raw("""
                SELECT run_at, finished_at, attempts FROM jobs WHERE kind = 'noop' AND state = 'succeeded'
                """).all()
        }
        var first = Int64.max, last = Int64.min, rerun = 0
        var dueToDone: [Double] = []
        dueToDone.reserveCapacity(rows.count)
        for row in rows {
            let finished = try row.decode(column: "finished_at", as: Int64.self)
            let due = try row.decode(column: "run_at", as: Int64.self)
            if try row.decode(column: "attempts", as: Int.self) > 1 { rerun += 1 }
            first = min(first, finished)
            last = max(last, finished)
            dueToDone.append(Double(finished - due))
        }
        let rate = rows.count > 1 ? Double(rows.count - 1) * 1_000 / Double(max(1, last - first)) : 0
        return Drained(jobs: rows.count, rate: rate, rerun: rerun, dueToDone: dueToDone)
    }

    private func log(_ line: String) {
        FileHandle.standardError.write(Data("phase: \(line)\n".utf8))
    }
}

/// The median, the mean of the two middle values for an even count (the rounds are few).
func middle(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    let half = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2
}

extension JobQueueBench.Result {
    func markdown(database: String, options: JobBenchOptions, referenceMethod: String) -> String {
        func rate(_ v: Double) -> String { String(format: "%.0f jobs/s", v) }
        func ratio(_ a: [Double], _ b: [Double]) -> String {
            String(format: "%.2f", middle(zip(a, b).map { $0 / max(0.001, $1) }))
        }
        func ms(_ v: Double) -> String { String(format: "%.0f ms", v) }
        let c = options.concurrency
        var lines = [
            "### Job queue, \(database)",
            "",
            "| measure | Rapport | reference (same run) | ratio |",
            "| --- | --- | --- | --- |",
            "| drain \(options.jobs) `noop` jobs, one `rapport worker` (JOB_CONCURRENCY=\(c)); median of \(oneRapport.count) rounds, "
                + "each: \(oneRapport.map { String(format: "%.0f", $0) }.joined(separator: ", ")) "
                + "| \(rate(middle(oneRapport))) | the same protocol by \(referenceMethod), \(c) workers: \(rate(middle(oneReference))) "
                + "| \(ratio(oneRapport, oneReference)) |",
            "| the same, two `rapport worker` processes | \(rate(middle(twoRapport))) | \(2 * c) workers: \(rate(middle(twoReference))) "
                + "| \(ratio(twoRapport, twoReference)) |",
        ]
        if !latencyRapport.isEmpty {
            let load = options.rate > 0 ? "fixed for comparing runs" : "half the slower side's one-process drain rate"
            let label = "due → done under load, p50 (\(options.latencyJobs) jobs falling due at a steady "
                + String(format: "%.0f", steadyRate) + " jobs/s, \(load); one "
                + "`rapport worker`; JOB_POLL_MILLIS=\(options.pollMillis) on both sides)"
            for (p, name) in [(0.5, label), (0.95, "the same, p95"), (0.99, "the same, p99")] {
                let a = percentile(latencyRapport, p), r = percentile(latencyReference, p)
                lines.append("| \(name) | \(ms(a)) | \(c) workers: \(ms(r)) | \(String(format: "%.2f", a / max(1, r))) |")
            }
        }
        lines.append("")
        lines.append("Jobs Rapport's workers claimed more than once in this run (a lost lease or a second delivery): \(rerun).")
        return lines.joined(separator: "\n") + "\n"
    }
}
