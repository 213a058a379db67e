import RapportCore
import Synchronization

/// Counts requests per key in fixed windows, in this process: a bound on what one address or one token can try
/// (the hosted survey page: guessing tokens, replaying a form, starting responses through a public link). Several
/// processes each keep their own counts, so the bound is per process; the unguessable token is the real defence.
/// A refusal says when the key's window ends (`Retry-After`, RFC 9110 §10.2.3).
final class RequestThrottle: Sendable {
    let limit: Int
    let windowMillis: Int64
    private let counts = Mutex<[String: (start: Int64, count: Int)]>([:])

    init(limit: Int, windowMillis: Int64) {
        self.limit = limit
        self.windowMillis = windowMillis
    }

    /// Counts one request for `key` at `now`; false when the key has used up its window (nothing is counted then).
    func allow(_ key: String, now: Int64) -> Bool {
        counts.withLock { counts in
            if counts.count > 50_000 { counts = counts.filter { now - $0.value.start < windowMillis } }
            var entry = counts[key] ?? (now, 0)
            if now - entry.start >= windowMillis { entry = (now, 0) }
            guard entry.count < limit else { return false }
            entry.count += 1
            counts[key] = entry
            return true
        }
    }

    /// Whether `allow` would let one more request for `key` through at `now` (nothing is counted).
    func hasRoom(_ key: String, now: Int64) -> Bool {
        counts.withLock { counts in
            guard let entry = counts[key], now - entry.start < windowMillis else { return true }
            return entry.count < limit
        }
    }

    /// Whole seconds until `key`'s window ends (at least 1).
    func retryAfterSeconds(_ key: String, now: Int64) -> Int {
        let start = counts.withLock { $0[key]?.start } ?? now
        let left = max(0, start + windowMillis - now)
        return max(1, Int((left + 999) / 1_000))
    }

    /// Counts a request for `key`; throws `429 rate_limited`, saying when to try again, once the window is used up.
    func check(_ key: String, now: Int64) throws(RapportError) {
        guard allow(key, now: now) else { throw refusal(key, now: now) }
    }

    /// The `429` for `key`: its `retry_after_seconds` becomes the `Retry-After` header.
    func refusal(_ key: String, now: Int64) -> RapportError {
        Self.tooMany(retryAfterSeconds: retryAfterSeconds(key, now: now))
    }

    static func tooMany(retryAfterSeconds seconds: Int) -> RapportError {
        let wait = seconds < 120 ? "\(seconds) second\(seconds == 1 ? "" : "s")" : "\((seconds + 59) / 60) minutes"
        return RapportError(.rateLimited, code: "rate_limited", message: "Too many requests. Please wait \(wait) and try again.",
                            details: ["retry_after_seconds": String(seconds)])
    }
}
