/// When a failed job runs again: exponential backoff with full jitter, after Brooker, "Exponential Backoff and
/// Jitter" (AWS Architecture Blog, 2015): the n-th retry waits a uniformly random time in
/// [0, min(cap, base · 2^(n-1))], which spreads out jobs that failed together (a downstream outage) instead of
/// retrying them in lock-step.
public struct JobRetryPolicy: Sendable {
    public var baseMillis: Int64
    public var capMillis: Int64
    /// Draws from a closed range; tests pass a fixed choice (e.g. the upper bound).
    public var random: @Sendable (ClosedRange<Int64>) -> Int64

    public init(baseMillis: Int64 = 2_000, capMillis: Int64 = 3_600_000,
                random: @escaping @Sendable (ClosedRange<Int64>) -> Int64 = { Int64.random(in: $0) }) {
        self.baseMillis = baseMillis
        self.capMillis = capMillis
        self.random = random
    }

    /// The longest wait after `attempts` attempts have failed: min(cap, base · 2^(attempts-1)).
    public func ceilingMillis(afterAttempts attempts: Int) -> Int64 {
        let doublings = max(0, attempts - 1)
        // Past 2^40 the cap has long been reached; stop before Int64 overflows.
        guard doublings < 40 else { return capMillis }
        return min(capMillis, baseMillis << Int64(doublings))
    }

    /// What becomes of `job` whose attempt (its `attempts`-th) threw `error`, at `now`. A handler with its own
    /// documented schedule (`schedule`: the wait after the 1st, 2nd, … failed attempt; the last repeats) is retried on
    /// it instead of the jittered backoff.
    public func outcome(for job: Job, error: any Error, now: Int64, schedule: [Int64]? = nil) -> JobFailureOutcome {
        if error is PermanentJobError { return .failed }
        if job.attempts >= job.maxAttempts { return .dead }
        if let schedule, let last = schedule.last {
            return .retry(at: now + (job.attempts >= 1 && job.attempts <= schedule.count ? schedule[job.attempts - 1] : last))
        }
        return .retry(at: now + random(0...ceilingMillis(afterAttempts: job.attempts)))
    }
}
