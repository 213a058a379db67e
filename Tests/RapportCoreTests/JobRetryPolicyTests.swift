import RapportCore
import Testing

/// Exponential backoff with full jitter (Brooker, "Exponential Backoff and Jitter", AWS Architecture Blog, 2015).
@Suite("Job retry policy")
struct JobRetryPolicyTests {
    static func job(attempts: Int, max: Int = 8) -> Job {
        var job = Job(id: "j", kind: "test", now: 0, maxAttempts: max)
        job.attempts = attempts
        job.state = .running
        return job
    }

    @Test func theCeilingDoublesFromTheBaseUpToTheCap() {
        let policy = JobRetryPolicy()
        #expect((1...13).map { policy.ceilingMillis(afterAttempts: $0) } == [
            2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 512_000, 1_024_000, 2_048_000, 3_600_000, 3_600_000,
        ])
        #expect(policy.ceilingMillis(afterAttempts: 1_000) == 3_600_000)
    }

    @Test(arguments: [1, 2, 5, 7])
    func aRetryIsDueWithinZeroAndTheCeiling(attempts: Int) {
        let policy = JobRetryPolicy()
        for _ in 0..<100 {
            guard case .retry(let at) = policy.outcome(for: Self.job(attempts: attempts), error: CancellationError(), now: 1_000) else {
                Issue.record("expected a retry")
                return
            }
            #expect((1_000...(1_000 + policy.ceilingMillis(afterAttempts: attempts))).contains(at))
        }
    }

    @Test func theLastAttemptMakesTheJobDeadAndAPermanentErrorFailsItAtOnce() {
        let policy = JobRetryPolicy()
        #expect(policy.outcome(for: Self.job(attempts: 8), error: CancellationError(), now: 0) == .dead)
        #expect(policy.outcome(for: Self.job(attempts: 1), error: PermanentJobError("bad payload"), now: 0) == .failed)
    }
}
