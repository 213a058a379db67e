import Foundation

/// The email digest (issue 12, docs/methods.md "The email digest"): per member, daily or weekly, their workspace's
/// goals, the headline metrics with intervals and the change from the period before, and their overdue follow-ups.
/// A member's setting is a workspace schedule (`digest.<user id>`, kind `digest.send`, 08:00 in the workspace's time
/// zone), so the scheduler fires it once across every process and the job queue sends it through the outbox.
public struct DigestService: Sendable {
    let deps: CoreDependencies
    let outbox: EmailOutbox
    let publicURL: String
    let metrics: SurveyMetricService
    let goals: CXGoalService

    public init(_ deps: CoreDependencies, outbox: EmailOutbox, publicURL: String) {
        self.deps = deps
        self.outbox = outbox
        self.publicURL = publicURL
        self.metrics = SurveyMetricService(deps)
        self.goals = CXGoalService(deps)
    }

    public static let jobKind = "digest.send"
    static func scheduleKey(userId: String) -> String { "digest.\(userId)" }

    public func setting(_ principal: Principal) async throws -> DigestSetting {
        let user = try Self.person(principal)
        let workspace = principal.workspace
        let schedule = try await deps.store.read {
            try await $0.schedules.find(workspaceId: workspace.id, key: Self.scheduleKey(userId: user.id))
        }
        let frequency = schedule.flatMap { $0.enabled ? DigestFrequency(cron: $0.cron) : nil } ?? .off
        return DigestSetting(frequency: frequency, nextRunAt: frequency == .off ? nil : schedule?.nextRunAt,
                             timeZone: workspace.timeZone)
    }

    /// Turns the caller's digest on (daily or weekly) or off.
    public func setFrequency(_ principal: Principal, _ frequency: DigestFrequency) async throws -> DigestSetting {
        let user = try Self.person(principal)
        let workspace = principal.workspace, deps = self.deps
        let key = Self.scheduleKey(userId: user.id)
        try await deps.store.write { repos in
            let now = deps.clock.nowMillis
            let existing = try await repos.schedules.find(workspaceId: workspace.id, key: key)
            guard let cron = frequency.cron else {
                if let existing { try await repos.schedules.delete(id: existing.id) }
                return
            }
            let next = try Schedule.nextRun(cron: cron, zone: workspace.timeZone, after: now)
            let payload = (["user_id": .string(user.id)] as JSONValue).jsonText
            if let existing {
                try await repos.schedules.reschedule(id: existing.id, cron: cron, timeZone: nil, payload: payload, nextRunAt: next, now: now)
            } else {
                _ = try await repos.schedules.insertIfAbsent(Schedule(id: deps.ids.next(), workspaceId: workspace.id, key: key,
                                                                      kind: Self.jobKind, cron: cron, payload: payload,
                                                                      nextRunAt: next, now: now))
            }
        }
        return try await setting(principal)
    }

    /// Queues the caller's digest now, covering the period their setting covers (a week when off).
    public func sendNow(_ principal: Principal) async throws -> OutboundEmail {
        let user = try Self.person(principal)
        let frequency = try await setting(principal).frequency
        return try await send(workspace: principal.workspace, user: user, frequency: frequency == .off ? .weekly : frequency)
    }

    /// `digest.send`: the scheduled digest of the member in the payload. A member who left the workspace gets none, and
    /// their schedule is removed. At least once, like every job: a worker that dies right after queueing the email
    /// may send a second copy.
    public func run(_ job: Job) async throws {
        guard let workspaceId = job.workspaceId,
              let userId = JSONValue.parse(job.payload)?.objectValue?["user_id"]?.stringValue else {
            throw PermanentJobError("digest.send needs a workspace and a user_id")
        }
        let key = Self.scheduleKey(userId: userId)
        let (workspace, member, schedule) = try await deps.store.read { repos in
            (try await repos.workspaces.find(id: workspaceId), try await repos.memberships.member(workspaceId: workspaceId, userId: userId),
             try await repos.schedules.find(workspaceId: workspaceId, key: key))
        }
        guard let workspace else { return }
        guard let member else {
            if let schedule { try await deps.store.write { try await $0.schedules.delete(id: schedule.id) } }
            return
        }
        let frequency = schedule.flatMap { DigestFrequency(cron: $0.cron) } ?? .weekly
        _ = try await send(workspace: workspace, user: member.user, frequency: frequency)
    }

    /// Composes the digest for the periods ending at today's start in the workspace's time zone and queues it.
    func send(workspace: Workspace, user: User, frequency: DigestFrequency) async throws -> OutboundEmail {
        let data = try await compose(workspace: workspace, user: user, frequency: frequency)
        let outbox = self.outbox, workspaceId = workspace.id, recipient = user.email
        return try await deps.store.write { repos in
            try await outbox.queue(in: repos, EmailOutbox.Request(workspaceId: workspaceId, customerId: nil, to: recipient,
                                                                  purpose: nil, content: DigestEmail.content, data: data,
                                                                  source: "digest"))
        }
    }

    /// The values of the digest's template: the period, each metric now and in the period before, each goal, and the
    /// member's overdue follow-ups.
    func compose(workspace: Workspace, user: User, frequency: DigestFrequency) async throws -> JSONValue {
        let zone = TimeZone(identifier: workspace.timeZone) ?? TimeZone(identifier: "UTC")!
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let now = deps.clock.nowMillis
        let today = calendar.startOfDay(for: Date(timeIntervalSince1970: Double(now) / 1_000))
        let start = calendar.date(byAdding: .day, value: -frequency.days, to: today) ?? today
        let before = calendar.date(byAdding: .day, value: -frequency.days, to: start) ?? start
        let (to, from, previousFrom) = (Self.millis(today), Self.millis(start), Self.millis(before))

        var rows: [JSONValue] = []
        for metric in [SurveyMetric.nps, .csat, .ces, .responseRate] {
            let comparison = try await metrics.compare(workspaceId: workspace.id, query: MetricQuery(metric: metric, from: previousFrom, to: to),
                                                       a: .period(from: previousFrom, to: from), b: .period(from: from, to: to))
            rows.append(DigestEmail.metricRow(metric, current: comparison.estimateB, previous: comparison.estimateA,
                                              change: comparison.difference))
        }
        let goalRows = try await goals.list(workspace: workspace).map(DigestEmail.goalRow)
        let workspaceId = workspace.id, userId = user.id
        let (mine, overdueTotal) = try await deps.store.read { repos in
            let limit = PageRequest(limit: PageRequest.maxLimit)
            return (try await repos.followUps.list(workspaceId: workspaceId, FollowUpQuery(ownerId: userId, dueBefore: now), page: limit).items,
                    try await repos.followUps.list(workspaceId: workspaceId, FollowUpQuery(dueBefore: now), page: limit).items.count)
        }
        let period = DigestEmail.periodLabel(from: start, toExclusive: today, calendar: calendar)
        return DigestEmail.data(workspace: workspace.name, frequency: frequency, period: period, metrics: rows, goals: goalRows,
                                overdue: mine, overdueTotal: overdueTotal, publicURL: publicURL, now: now)
    }

    static func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1_000).rounded()) }

    /// The signed-in person behind the call: an API key has no digest.
    static func person(_ principal: Principal) throws(RapportError) -> User {
        guard let user = principal.user else {
            throw RapportError(.forbidden, code: "user_required", message: "A digest belongs to a person: sign in to change yours; an API key has none.")
        }
        return user
    }
}

/// `digest.send`: see `DigestService.run`.
public struct DigestSendHandler: JobHandler {
    let digests: DigestService
    public var kind: String { DigestService.jobKind }
    public init(_ digests: DigestService) { self.digests = digests }
    public func run(_ job: Job) async throws { try await digests.run(job) }
}
