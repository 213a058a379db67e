import Synchronization

/// Counts requests per key in fixed windows, in this process: a bound on what one address or one token can try
/// (the hosted survey page: guessing tokens, replaying a form). Several processes each keep their own counts, so the
/// bound is per process; the unguessable token is the real defence.
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
}
