import Foundation
import RapportCore

/// The workspace's background jobs for its admins: how many are in each state by kind, and the jobs themselves
/// (filtered by state) with retry and cancel.
public struct JobsPage: PageModel {
    public static let template = "jobs"
    public struct KindCounts: Sendable {
        public let kind: String
        /// One count per state, in `states` order.
        public let counts: [Int]
    }

    public struct Row: Sendable {
        public let kind: String
        public let state: String
        public let attempts: String
        public let lastError: String?
        public let runAt: DisplayDate
        public let finishedAt: DisplayDate?
        public let retryURL: String?
        public let cancelURL: String?
    }

    public struct Option: Sendable {
        public let value: String
        public let selected: Bool
    }

    public struct ScheduleRow: Sendable {
        public let key: String
        public let kind: String
        public let cron: String
        public let timeZone: String
        public let nextRunAt: DisplayDate
        public let lastRunAt: DisplayDate?
        public let problem: String?
    }

    public let schedules: [ScheduleRow]
    public let states: [String]
    public let kinds: [KindCounts]
    public let jobs: [Row]
    public let filters: [Option]
    public let olderURL: String?
    public let error: String?
    public let flash: String?

    public init(counts: [JobCount], jobs: Page<Job>, state: JobState?, schedules: [Schedule] = [], workspaceZone: String = "UTC",
                error: String?, flash: String?, timeZone: TimeZone = DisplayDate.utc) {
        self.schedules = schedules.map { schedule in
            ScheduleRow(key: schedule.key, kind: schedule.kind, cron: schedule.cron,
                        timeZone: schedule.timeZone ?? (schedule.workspaceId == nil ? "UTC" : workspaceZone),
                        nextRunAt: DisplayDate(millis: schedule.nextRunAt, timeZone: timeZone),
                        lastRunAt: schedule.lastRunAt.map { DisplayDate(millis: $0, timeZone: timeZone) },
                        problem: schedule.enabled ? nil : "disabled" + (schedule.lastError.map { ": \($0)" } ?? ""))
        }
        states = JobState.allCases.map(\.rawValue)
        kinds = Set(counts.map(\.kind)).sorted().map { kind in
            KindCounts(kind: kind, counts: JobState.allCases.map { state in
                counts.first { $0.kind == kind && $0.state == state }?.count ?? 0
            })
        }
        self.jobs = jobs.items.map { job in
            Row(kind: job.kind, state: job.state.rawValue, attempts: "\(job.attempts) of \(job.maxAttempts)",
                lastError: job.lastError, runAt: DisplayDate(millis: job.runAt, timeZone: timeZone),
                finishedAt: job.finishedAt.map { DisplayDate(millis: $0, timeZone: timeZone) },
                retryURL: [.failed, .dead, .cancelled].contains(job.state) ? WebURL.jobAction(job.id, "retry") : nil,
                cancelURL: [.queued, .running, .failed, .dead].contains(job.state) ? WebURL.jobAction(job.id, "cancel") : nil)
        }
        filters = JobState.allCases.map { Option(value: $0.rawValue, selected: $0 == state) }
        olderURL = jobs.nextCursor.map { WebURL.jobs(state: state?.rawValue, cursor: $0) }
        self.error = error
        self.flash = flash
    }
}
