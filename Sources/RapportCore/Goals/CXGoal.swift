/// A CX goal (issue 12, docs/methods.md "Goals"): a survey metric, a target and a date, optionally for one survey and
/// one segment ("NPS ≥ 40 by 2027-06-30 for segment Enterprise"). Its progress is the metric over the `windowDays`
/// before now (or before the end of the due date, once that has passed) with its confidence interval.
public struct CXGoal: Sendable, Equatable {
    public var id: String
    public var workspaceId: String
    public var name: String
    public var metric: SurveyMetric
    /// In the metric's own unit, as the metrics API reports it: NPS −100…100, CSAT and the response rate in per cent,
    /// CES a mean 1…7. Higher is better for all of them, so the goal is met at or above it.
    public var target: Double
    /// The calendar date (`YYYY-MM-DD`) in the workspace's time zone by which the target should hold.
    public var dueDate: String
    public var surveyId: String?
    public var segmentId: String?
    /// The trailing window the current value is measured over, in days.
    public var windowDays: Int
    public var createdBy: String?
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(id: String, workspaceId: String, name: String, metric: SurveyMetric, target: Double, dueDate: String,
                surveyId: String? = nil, segmentId: String? = nil, windowDays: Int = CXGoal.defaultWindowDays,
                createdBy: String? = nil, createdAt: Int64, updatedAt: Int64) {
        self.id = id
        self.workspaceId = workspaceId
        self.name = name
        self.metric = metric
        self.target = target
        self.dueDate = dueDate
        self.surveyId = surveyId
        self.segmentId = segmentId
        self.windowDays = windowDays
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public static let defaultWindowDays = 90
    public static let windowDays: ClosedRange<Int> = 7...365
    public static let maxGoals = 50

    /// The metrics a goal can aim at: those where higher is better (time to close, where lower is, is not one yet).
    public static let metrics: [SurveyMetric] = [.nps, .csat, .ces, .responseRate]

    /// The values a target of `metric` may take.
    public static func targetRange(_ metric: SurveyMetric) -> ClosedRange<Double> {
        switch metric {
        case .nps: -100...100
        case .csat, .responseRate: 0...100
        case .ces: 1...7
        case .followUpTime: 0...0
        }
    }
}

/// Where a goal stands: the metric over its window and how the target sits against the interval.
public struct GoalProgress: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable {
        /// The whole interval is at or above the target: met beyond the noise of the sample.
        case above
        /// The target lies inside the interval: the data cannot yet tell whether it is met.
        case within
        /// The whole interval is below the target.
        case below
        /// No response in the window.
        case noData = "no_data"
        /// The goal's survey or segment no longer exists.
        case unavailable
    }

    public var status: Status
    public var estimate: Estimate?
    /// value − target; nil without a value.
    public var gap: Double?
    /// The window measured: [from, to) in milliseconds.
    public var from: Int64
    public var to: Int64
    /// Whole days from today to the due date in the workspace's time zone (negative once it has passed).
    public var daysLeft: Int
    /// Why the progress is `unavailable`.
    public var problem: String?

    public init(status: Status, estimate: Estimate?, gap: Double?, from: Int64, to: Int64, daysLeft: Int, problem: String? = nil) {
        self.status = status
        self.estimate = estimate
        self.gap = gap
        self.from = from
        self.to = to
        self.daysLeft = daysLeft
        self.problem = problem
    }

    /// The status of `estimate` against `target`: an interval that is missing (a mean of one answer) cannot
    /// place the target, so it reads `within`.
    public static func status(of estimate: Estimate?, target: Double) -> Status {
        guard let estimate else { return .noData }
        guard let low = estimate.low, let high = estimate.high else { return .within }
        if low >= target { return .above }
        if high < target { return .below }
        return .within
    }
}

/// A goal with where it stands.
public struct GoalReport: Sendable, Equatable {
    public var goal: CXGoal
    public var progress: GoalProgress
}

/// The workspace's goals. Every call is scoped to one workspace.
public protocol CXGoalRepository: Sendable {
    func insert(_ goal: CXGoal) async throws
    func update(_ goal: CXGoal) async throws
    func delete(workspaceId: String, id: String) async throws
    func find(workspaceId: String, id: String) async throws -> CXGoal?
    /// Every goal, by due date then name.
    func list(workspaceId: String) async throws -> [CXGoal]
}
