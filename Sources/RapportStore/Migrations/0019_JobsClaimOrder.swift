extension Migrations {
    /// The claim's order as an index: queued jobs by priority, then due time. A claim reads the first entries that are
    /// due instead of every due job sorted (docs/benchmarks.md, "Job queue": with 20,000 jobs due, picking one took
    /// about 45 ms on SQLite, and draining a backlog cost time quadratic in its size).
    static let jobsClaimOrder0019 = Migration(version: 19, name: "jobs_claim_order") { _ in
        ["CREATE INDEX jobs_due ON jobs (state, priority DESC, run_at)"]
    }
}
