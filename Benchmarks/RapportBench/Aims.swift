import Foundation
import RapportStore

extension HonestyRounds {
    /// One line of progress for a round.
    func roundLine(_ round: Int, ingest: Double) -> String {
        var parts = ["round \(round + 1):"]
        if round < limit.count { parts.append(String(format: "physical limit %.0f rows/s (ingest/limit %.2f)", limit[round], ingest / limit[round])) }
        if round < merge.count { parts.append(String(format: "merge-heavy %.0f events/s (%.2f of ingest, %d merges)", merge[round], merge[round] / ingest, mergesRecorded[round])) }
        if round < retryHandled.count {
            parts.append(String(format: "retry %.0f messages/s handled, %.0f new/s, %d duplicates of %d sent", retryHandled[round],
                                retryNew[round], retryDuplicates[round], retrySent[round]))
        }
        if round < single.count { parts.append(String(format: "single events %.0f requests/s, p99 %.1f ms", single[round], singleP99[round])) }
        return parts.joined(separator: " ")
    }
}

/// A ratio against its aim, as the reports print it: `0.42 (aim ≥ 0.50: not met)`.
func verdict(_ value: Double, _ aim: Double) -> String {
    String(format: "%.2f (aim ≥ %.2f: ", value, aim) + (value >= aim ? "met)" : "not met)")
}

/// Counts of the rounds as one number when they agree, else their range (`2000`, `1998–2000`).
func spread(_ counts: [Int]) -> String {
    counts.min() == counts.max() ? "\(counts.first ?? 0)" : "\(counts.min() ?? 0)–\(counts.max() ?? 0)"
}

/// Issue 9's aims for ingest (point 15), each as a ratio: batched ingest ≥ 0.5 of the physical limit and ≥ 20,000
/// events/s on SQLite; merge-heavy rounds ≥ 0.25 of the known-people rate; single events ≥ 10,000 requests/s.
struct AimsResult {
    let rounds: HonestyRounds
    let ingest: [Double]
    let steady: Range<Int>
    let database: DatabaseKind

    private func steadyMedian(_ values: [Double]) -> Double { median(steady.filter { $0 < values.count }.map { values[$0] }) }
    private func steadyRatio(_ values: [Double]) -> Double {
        median(steady.filter { $0 < values.count }.map { ingest[$0] / values[$0] })
    }

    func markdown(events: Int, customers: Int, clients: Int) -> String {
        func rate(_ v: Double) -> String { String(format: "%.0f", v) }
        let r = rounds, known = steadyMedian(ingest), n = steady.count
        var lines = [
            "#### Against the aims of issue 9 (\(database.rawValue), median of \(n) round\(n == 1 ? "" : "s") of known people)",
            "",
            "| measure | Rapport | reference (same run) | ratio |",
            "| --- | --- | --- | --- |",
        ]
        if !r.limit.isEmpty {
            lines.append("| batched ingest (`/v1/batch`, \(events) events, batches of 100, \(clients) clients) against the physical limit | \(rate(known)) events/s | the same timeline rows into the same table outside Rapport (\(r.limitMethod)): \(rate(steadyMedian(r.limit))) rows/s | \(verdict(steadyRatio(r.limit), 0.5)) |")
        }
        if database == .sqlite {
            lines.append("| the same batched ingest against the absolute aim | \(rate(known)) events/s | the aim: 20000 events/s | \(verdict(known / 20_000, 1)) |")
        }
        if !r.merge.isEmpty {
            let ratio = median(steady.filter { $0 < r.merge.count }.map { r.merge[$0] / ingest[$0] })
            let merges = steady.filter { $0 < r.mergesRecorded.count }.map { r.mergesRecorded[$0] }
            lines.append("| merge-heavy round (anonymous visitors who log in: each message names the userId of one stored profile and the anonymousId of another; \(spread(merges)) merges recorded a round) | \(rate(steadyMedian(r.merge))) events/s | known-people ingest, same round: \(rate(known)) events/s | \(verdict(ratio, 0.25)) |")
        }
        if !r.retryHandled.isEmpty {
            let ratio = median(steady.filter { $0 < r.retryHandled.count }.map { r.retryHandled[$0] / ingest[$0] })
            let duplicates = steady.filter { $0 < r.retryDuplicates.count }.map { "\(r.retryDuplicates[$0])/\(r.retrySent[$0] / 2)" }
            lines.append("| retry round (every batch of 100 sent again after the next one, as a client retries after a timeout; duplicates reported per round: \(duplicates.joined(separator: ", "))) | \(rate(steadyMedian(r.retryHandled))) messages/s handled (\(rate(steadyMedian(r.retryNew))) new events/s) | known-people ingest, same round: \(rate(known)) events/s | \(String(format: "%.2f", ratio)) (no number in the issue; point 13: a retry must not multiply the writer's work, so about 1.0 or more) |")
        }
        if !r.single.isEmpty {
            let single = steadyMedian(r.single)
            lines.append("| single events (`/v1/track`, one message a request) | \(rate(single)) requests/s, p50 \(String(format: "%.1f", steadyMedian(r.singleP50))) ms, p99 \(String(format: "%.1f", steadyMedian(r.singleP99))) ms | the aim: 10000 requests/s | \(verdict(single / 10_000, 1)) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
