/// What a workspace's admins see of the job queue and may do with it: the queue's depth by kind and state, the jobs
/// (dead ones with their last error), and retrying or cancelling one. Every call is scoped to the caller's workspace;
/// system jobs (no workspace) are for operators and never listed here.
public struct JobService: Sendable {
    let deps: CoreDependencies

    public init(_ deps: CoreDependencies) { self.deps = deps }

    /// How many of the workspace's jobs are in each state, by kind.
    public func summary(_ principal: Principal) async throws -> [JobCount] {
        try principal.require(Permission.manageWorkspace.leastRole)
        let workspaceId = principal.workspaceId
        return try await deps.store.read { try await $0.jobs.counts(workspaceId: workspaceId) }
    }

    /// The workspace's jobs, newest first, optionally of one state and kind.
    public func list(_ principal: Principal, state: JobState?, kind: String?, page: PageRequest) async throws -> Page<Job> {
        try principal.require(Permission.manageWorkspace.leastRole)
        let query = JobQuery(workspaceId: principal.workspaceId, state: state, kind: kind)
        return try await deps.store.read { try await $0.jobs.list(query, page: page) }
    }

    /// The schedules that enqueue jobs for the workspace: its own, then the system's (such as the segment refresh),
    /// which run for every workspace.
    public func schedules(_ principal: Principal) async throws -> [Schedule] {
        try principal.require(Permission.manageWorkspace.leastRole)
        let workspaceId = principal.workspaceId
        return try await deps.store.read { repos in
            try await repos.schedules.list(workspaceId: workspaceId) + repos.schedules.list(workspaceId: nil)
        }
    }

    public func get(_ principal: Principal, id: String) async throws -> Job {
        try principal.require(Permission.manageWorkspace.leastRole)
        let workspaceId = principal.workspaceId
        guard let job = try await deps.store.read({ try await $0.jobs.find(id: id, workspaceId: workspaceId) }) else {
            throw RapportError.notFound("job")
        }
        return job
    }

    /// Queues a dead, failed or cancelled job again with its attempts reset; `409 job_not_retryable` otherwise.
    public func retry(_ principal: Principal, id: String, ip: String?) async throws -> Job {
        try await change(principal, id: id, action: .jobRetried, ip: ip, refusal: { job in
            RapportError(.conflict, code: "job_not_retryable",
                         message: "The job is \(job.state.rawValue); only dead, failed or cancelled jobs can be retried.",
                         details: ["state": job.state.rawValue])
        }) { repos, workspaceId, now in try await repos.jobs.retry(id: id, workspaceId: workspaceId, now: now) }
    }

    /// Cancels a job that has not succeeded (a worker running it can no longer complete it); `409 job_not_cancellable`
    /// for a succeeded or already cancelled job.
    public func cancel(_ principal: Principal, id: String, ip: String?) async throws -> Job {
        try await change(principal, id: id, action: .jobCancelled, ip: ip, refusal: { job in
            RapportError(.conflict, code: "job_not_cancellable",
                         message: "The job is \(job.state.rawValue); only queued, running, failed or dead jobs can be cancelled.",
                         details: ["state": job.state.rawValue])
        }) { repos, workspaceId, now in try await repos.jobs.cancel(id: id, workspaceId: workspaceId, now: now) }
    }

    /// Runs `update` and audits it in one write; when it changes nothing, tells a missing job (`404`) from one in the
    /// wrong state (`refusal`).
    private func change(_ principal: Principal, id: String, action: AuditAction, ip: String?,
                        refusal: @escaping @Sendable (Job) -> RapportError,
                        update: @escaping @Sendable (any Repositories, String, Int64) async throws -> Job?) async throws -> Job {
        try principal.require(Permission.manageWorkspace.leastRole)
        let workspaceId = principal.workspaceId
        let now = deps.clock.nowMillis
        let audit = AuditLog(deps)
        let actor = principal.actor
        return try await deps.store.write { repos in
            guard let job = try await update(repos, workspaceId, now) else {
                guard let existing = try await repos.jobs.find(id: id, workspaceId: workspaceId) else {
                    throw RapportError.notFound("job")
                }
                throw refusal(existing)
            }
            try await audit.record(in: repos, workspaceId: workspaceId, actor: actor, action: action, targetType: "job",
                                   targetId: job.id, ip: ip, details: ["kind": job.kind])
            return job
        }
    }
}
