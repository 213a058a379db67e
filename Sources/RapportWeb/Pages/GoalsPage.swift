import Foundation
import RapportCore

/// `/goals`: the workspace's CX goals with where each stands, the new-goal form for admins, and the signed-in
/// member's email digest setting (docs/methods.md, "Goals" and "The email digest").
public struct GoalsPage: PageModel {
    public static let template = "goals"

    public struct Goal: Sendable {
        public let id: String
        public let name: String
        public let metric: String
        public let target: String
        public let value: String?
        public let interval: String?
        public let n: Int?
        public let smallSample: Bool
        public let status: String
        public let statusText: String
        public let due: String
        public let dueDate: String
        public let scope: String
        public let deleteURL: String
    }

    public struct Option: Sendable {
        public let value: String
        public let label: String
        public let selected: Bool
    }

    public let goals: [Goal]
    public let metrics: [Option]
    public let surveys: [Option]
    public let segments: [Option]
    public let frequencies: [Option]
    public let nextDigest: DisplayDate?
    public let error: String?
    public let flash: String?

    public init(goals: [GoalReport], surveys: [Survey], segments: [Segment], digest: DigestSetting?, error: String?, flash: String?,
                timeZone: TimeZone = DisplayDate.utc) {
        self.goals = Self.rows(goals, surveys: surveys, segments: segments)
        self.metrics = CXGoal.metrics.map { Option(value: $0.rawValue, label: MetricText.name($0), selected: false) }
        self.surveys = surveys.map { Option(value: $0.id, label: $0.name, selected: false) }
        self.segments = segments.map { Option(value: $0.id, label: $0.name, selected: false) }
        let current = digest?.frequency ?? .off
        self.frequencies = DigestFrequency.allCases.map { frequency in
            let label = switch frequency {
            case .off: "Off"
            case .daily: "Daily, at 08:00"
            case .weekly: "Weekly, Mondays at 08:00"
            }
            return Option(value: frequency.rawValue, label: label, selected: frequency == current)
        }
        self.nextDigest = digest?.nextRunAt.map { DisplayDate(millis: $0, timeZone: timeZone) }
        self.error = error
        self.flash = flash
    }

    /// The goals as the Goals page and the dashboard show them.
    public static func rows(_ goals: [GoalReport], surveys: [Survey], segments: [Segment]) -> [Goal] {
        let surveyNames = Dictionary(surveys.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        let segmentNames = Dictionary(segments.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        return goals.map { report in
            let goal = report.goal, progress = report.progress
            var scope = [goal.surveyId.map { "Survey " + (surveyNames[$0] ?? "(deleted)") } ?? "Every \(MetricText.name(goal.metric)) survey"]
            if let id = goal.segmentId { scope.append("segment " + (segmentNames[id] ?? "(deleted)")) }
            scope.append("last \(goal.windowDays) days")
            return Goal(id: goal.id, name: goal.name, metric: MetricText.name(goal.metric), target: MetricText.value(goal.target, goal.metric),
                        value: progress.estimate.map { MetricText.value($0.value, goal.metric) },
                        interval: progress.estimate.flatMap { MetricText.interval($0, goal.metric) }, n: progress.estimate?.n,
                        smallSample: progress.estimate?.smallSample ?? false, status: progress.status.rawValue,
                        statusText: MetricText.status(progress), due: MetricText.due(progress, dueDate: goal.dueDate),
                        dueDate: goal.dueDate, scope: scope.joined(separator: ", "), deleteURL: "/goals/\(goal.id)/delete")
        }
    }
}
