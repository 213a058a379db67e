import Foundation

/// CX goals (docs/methods.md, "Goals"): read by every member with each goal's progress, set by admins.
public struct CXGoalService: Sendable {
    let deps: CoreDependencies
    let metrics: SurveyMetricService
    let audit: AuditLog

    public init(_ deps: CoreDependencies) {
        self.deps = deps
        self.metrics = SurveyMetricService(deps)
        self.audit = AuditLog(deps)
    }

    public static let fields: Set<String> = ["name", "metric", "target", "due_date", "survey_id", "segment_id", "window_days"]

    /// Every goal with its progress, by due date.
    public func list(_ principal: Principal) async throws -> [GoalReport] {
        try principal.require(Permission.readData.leastRole)
        return try await list(workspace: principal.workspace)
    }

    /// Every goal of the workspace with its progress, for callers that checked access already (the digest).
    public func list(workspace: Workspace) async throws -> [GoalReport] {
        let workspaceId = workspace.id
        let goals = try await deps.store.read { try await $0.goals.list(workspaceId: workspaceId) }
        var reports: [GoalReport] = []
        for goal in goals { reports.append(GoalReport(goal: goal, progress: try await progress(workspace, goal))) }
        return reports
    }

    public func get(_ principal: Principal, id: String) async throws -> GoalReport {
        try principal.require(Permission.readData.leastRole)
        let workspaceId = principal.workspaceId
        let goal = try await deps.store.read { try await Self.find($0, workspaceId: workspaceId, id: id) }
        return GoalReport(goal: goal, progress: try await progress(principal.workspace, goal))
    }

    /// Creates a goal: `name`, `metric`, `target` and `due_date` required; `survey_id`, `segment_id` and
    /// `window_days` (default 90) optional.
    public func create(_ principal: Principal, fields: [String: JSONValue], ip: String? = nil) async throws -> GoalReport {
        try principal.require(Permission.manageWorkspace.leastRole)
        try Validation.knownFields(fields, allowed: Self.fields, of: "a goal")
        for required in ["name", "metric", "target", "due_date"] where fields[required] == nil || fields[required] == .null {
            throw RapportError.invalid(required, "\(required) is required.")
        }
        let now = deps.clock.nowMillis
        var goal = CXGoal(id: deps.ids.next(), workspaceId: principal.workspaceId, name: "", metric: .nps, target: 0,
                          dueDate: "", createdBy: principal.user?.id, createdAt: now, updatedAt: now)
        try Self.apply(fields, to: &goal)
        let candidate = goal, deps = self.deps, audit = self.audit, actor = principal.actor
        let stored = try await deps.store.write { repos -> CXGoal in
            guard try await repos.goals.list(workspaceId: candidate.workspaceId).count < CXGoal.maxGoals else {
                throw RapportError(.conflict, code: "too_many_goals", message: "A workspace holds at most \(CXGoal.maxGoals) goals.")
            }
            try await Self.requireReferences(repos, candidate)
            try await repos.goals.insert(candidate)
            try await audit.record(in: repos, workspaceId: candidate.workspaceId, actor: actor, action: .goalCreated,
                                   targetType: "goal", targetId: candidate.id, ip: ip, details: Self.auditDetails(candidate))
            return candidate
        }
        return GoalReport(goal: stored, progress: try await progress(principal.workspace, stored))
    }

    /// Changes any of the fields; `survey_id` or `segment_id` null removes that filter.
    public func update(_ principal: Principal, id: String, fields: [String: JSONValue], ip: String? = nil) async throws -> GoalReport {
        try principal.require(Permission.manageWorkspace.leastRole)
        try Validation.knownFields(fields, allowed: Self.fields, of: "a goal")
        let workspaceId = principal.workspaceId, deps = self.deps, audit = self.audit, actor = principal.actor
        let stored = try await deps.store.write { repos -> CXGoal in
            var goal = try await Self.find(repos, workspaceId: workspaceId, id: id)
            let before = goal
            try Self.apply(fields, to: &goal)
            guard goal != before else { return goal }
            try await Self.requireReferences(repos, goal)
            goal.updatedAt = deps.clock.nowMillis
            try await repos.goals.update(goal)
            try await audit.record(in: repos, workspaceId: workspaceId, actor: actor, action: .goalUpdated, targetType: "goal",
                                   targetId: goal.id, ip: ip, details: Self.auditDetails(goal))
            return goal
        }
        return GoalReport(goal: stored, progress: try await progress(principal.workspace, stored))
    }

    public func delete(_ principal: Principal, id: String, ip: String? = nil) async throws {
        try principal.require(Permission.manageWorkspace.leastRole)
        let workspaceId = principal.workspaceId, audit = self.audit, actor = principal.actor
        try await deps.store.write { repos in
            let goal = try await Self.find(repos, workspaceId: workspaceId, id: id)
            try await repos.goals.delete(workspaceId: workspaceId, id: goal.id)
            try await audit.record(in: repos, workspaceId: workspaceId, actor: actor, action: .goalDeleted, targetType: "goal",
                                   targetId: goal.id, ip: ip, details: ["name": goal.name])
        }
    }

    /// The goal's metric over its window: the `windowDays` before now, or before the end of the due date once that
    /// has passed (so an ended goal keeps its verdict), in the workspace's time zone.
    public func progress(_ workspace: Workspace, _ goal: CXGoal) async throws -> GoalProgress {
        let zone = TimeZone(identifier: workspace.timeZone) ?? TimeZone(identifier: "UTC")!
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let now = deps.clock.nowMillis
        let nowDate = Date(timeIntervalSince1970: Double(now) / 1_000)
        let dueEnd = Self.endOfDay(goal.dueDate, calendar: calendar) ?? now
        let to = min(now + 1, dueEnd)
        let from = to - Int64(goal.windowDays) * 86_400_000
        let today = calendar.startOfDay(for: nowDate)
        let dueDay = Date(timeIntervalSince1970: Double(dueEnd - 1) / 1_000)
        let daysLeft = calendar.dateComponents([.day], from: today, to: calendar.startOfDay(for: dueDay)).day ?? 0
        let query = MetricQuery(metric: goal.metric, surveyId: goal.surveyId, from: from, to: to, segmentId: goal.segmentId)
        do {
            let estimate = try await metrics.report(workspace: workspace, query: query).overall.estimate
            return GoalProgress(status: GoalProgress.status(of: estimate, target: goal.target), estimate: estimate,
                                gap: estimate.map { $0.value - goal.target }, from: from, to: to, daysLeft: daysLeft)
        } catch let error as RapportError where error.kind == .notFound || error.kind == .validation {
            return GoalProgress(status: .unavailable, estimate: nil, gap: nil, from: from, to: to, daysLeft: daysLeft,
                                problem: error.message)
        }
    }

    /// The instant (ms) the calendar day `date` (YYYY-MM-DD) ends in the calendar's time zone.
    static func endOfDay(_ date: String, calendar: Calendar) -> Int64? {
        let parts = date.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3,
              let start = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2])),
              let end = calendar.date(byAdding: .day, value: 1, to: start) else { return nil }
        return Int64((end.timeIntervalSince1970 * 1_000).rounded())
    }

    static func find(_ repos: any Repositories, workspaceId: String, id: String) async throws -> CXGoal {
        guard let goal = try await repos.goals.find(workspaceId: workspaceId, id: id.lowercased()) else {
            throw RapportError.notFound("goal")
        }
        return goal
    }

    /// Applies the given fields to `goal`, checking each; the target is checked against the (possibly new) metric.
    static func apply(_ fields: [String: JSONValue], to goal: inout CXGoal) throws(RapportError) {
        if let raw = fields["name"] {
            guard let text = raw.stringValue else { throw RapportError.invalid("name", "name must be a text.") }
            goal.name = try Validation.name(text, field: "name")
        }
        if let raw = fields["metric"] {
            guard let metric = raw.stringValue.flatMap(SurveyMetric.init(rawValue:)), CXGoal.metrics.contains(metric) else {
                throw RapportError.invalid("metric", "metric must be one of: \(CXGoal.metrics.map(\.rawValue).joined(separator: ", ")).")
            }
            goal.metric = metric
        }
        if let raw = fields["target"] {
            guard let number = raw.numberValue, number.isFinite else { throw RapportError.invalid("target", "target must be a number.") }
            goal.target = number
        }
        let range = CXGoal.targetRange(goal.metric)
        guard range.contains(goal.target) else {
            throw RapportError.invalid("target", "The \(MetricText.name(goal.metric)) target must be from \(Self.format(range.lowerBound)) to "
                                           + "\(Self.format(range.upperBound))" + ([.csat, .responseRate].contains(goal.metric) ? " per cent." : "."))
        }
        if let raw = fields["due_date"] {
            guard let text = raw.stringValue, text.count == 10, ISO8601.millis(text) != nil else {
                throw RapportError.invalid("due_date", "due_date must be a calendar date like 2027-06-30.")
            }
            goal.dueDate = text
        }
        if let raw = fields["survey_id"] { goal.surveyId = try Self.optionalId(raw, field: "survey_id") }
        if let raw = fields["segment_id"] { goal.segmentId = try Self.optionalId(raw, field: "segment_id") }
        if let raw = fields["window_days"] { goal.windowDays = try Validation.integer(raw, "window_days", CXGoal.windowDays) }
    }

    static func optionalId(_ raw: JSONValue, field: String) throws(RapportError) -> String? {
        if raw == .null { return nil }
        guard let id = raw.stringValue, IDGenerator.isUUID(id) else { throw RapportError.invalid(field, "\(field) must be an id or null.") }
        return id.lowercased()
    }

    /// The survey (which must open with the goal's metric) and the segment exist in the workspace.
    static func requireReferences(_ repos: any Repositories, _ goal: CXGoal) async throws {
        if let id = goal.surveyId {
            guard let survey = try await repos.surveys.find(workspaceId: goal.workspaceId, id: id) else {
                throw RapportError.invalid("survey_id", "survey_id names no survey of this workspace.")
            }
            if let type = goal.metric.questionType, survey.definition.questions.first?.type != type {
                throw RapportError.invalid("survey_id", "The survey \"\(survey.name)\" does not open with a \(goal.metric.rawValue) question.")
            }
        }
        if let id = goal.segmentId, try await repos.segments.find(workspaceId: goal.workspaceId, id: id) == nil {
            throw RapportError.invalid("segment_id", "segment_id names no segment of this workspace.")
        }
    }

    static func auditDetails(_ goal: CXGoal) -> [String: String] {
        ["name": goal.name, "metric": goal.metric.rawValue, "target": format(goal.target), "due_date": goal.dueDate]
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
