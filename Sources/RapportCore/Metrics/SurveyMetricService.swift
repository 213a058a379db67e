import Foundation

/// NPS, CSAT, CES, the response rate and the follow-up time over a date range, overall, as a trend by day, week or
/// month in the workspace's time zone, and broken down by a trigger attribute, the channel, the survey, a customer
/// trait, segment or account (docs/methods.md, docs/api.md "Metrics"); and two periods or two groups compared
/// (`compare`, in SurveyMetricService+Compare.swift). Read by analysts and up.
public struct SurveyMetricService: Sendable {
    let deps: CoreDependencies
    /// Whether the database counts what it can (`MetricTable`); false reads every row, the reference the tests
    /// hold the counts to.
    let countsInDatabase: Bool

    public init(_ deps: CoreDependencies, countsInDatabase: Bool = true) {
        self.deps = deps
        self.countsInDatabase = countsInDatabase
    }

    /// One period of a trend: its start and the figure, or nil when no response fell in it.
    public struct Point: Sendable, Equatable {
        public var start: Int64
        public var estimate: Estimate?
    }

    /// One group of a breakdown (or the whole, `key` nil and `isWhole`): its figure and its trend.
    public struct Group: Sendable, Equatable {
        /// The attribute's value, channel or survey id; nil for responses without one (when not the whole).
        public var key: String?
        public var label: String
        public var isWhole: Bool
        public var estimate: Estimate?
        /// CES only: the share of easy answers (5–7).
        public var easyShare: Estimate?
        /// Follow-up time only: the cases opened in the range that are still open (not in the median).
        public var open: Int?
        public var series: [Point]
    }

    public struct Report: Sendable, Equatable {
        public var query: MetricQuery
        public var timeZone: String
        public var overall: Group
        /// Largest n first; at most `MetricQuery.maxGroups`.
        public var groups: [Group]
        /// Groups beyond the first `maxGroups`, left out.
        public var otherGroups: Int
    }

    public func report(_ principal: Principal, query: MetricQuery) async throws -> Report {
        try principal.require(Permission.readData.leastRole)
        return try await report(workspace: principal.workspace, query: query)
    }

    /// The report over one workspace's responses, for callers that checked access already (goals, digests).
    public func report(workspace: Workspace, query: MetricQuery) async throws -> Report {
        guard query.from < query.to else { throw RapportError.invalid("from", "from must be before to.") }
        guard Estimate.levels.contains(query.level) else {
            throw RapportError.invalid("level", "level must be one of \(Estimate.levels.map { String($0) }.joined(separator: ", ")).")
        }
        let zone = TimeZone(identifier: workspace.timeZone) ?? TimeZone(identifier: "UTC")!
        let periods = query.period.map { MetricPeriods($0, timeZone: zone) }
        var starts: [Int64] = []
        if let periods {
            guard let all = periods.starts(from: query.from, to: query.to, limit: MetricQuery.maxPeriods) else {
                throw RapportError.invalid("from", "A trend shows at most \(MetricQuery.maxPeriods) periods: choose a shorter range or a longer interval.")
            }
            starts = all
        }
        let workspaceId = workspace.id, countsInDatabase = self.countsInDatabase
        let table = try await deps.store.read { repos in
            try await MetricTable.load(repos, workspaceId: workspaceId, query: query, periods: periods, countsInDatabase: countsInDatabase)
        }
        let overall = group(table.overall, byStart: table.overallByStart, key: nil, label: Self.wholeLabel(query.metric), isWhole: true,
                            query: query, starts: starts)
        var groups: [Group] = []
        var otherGroups = 0
        if let grouping = query.groupBy {
            let ordered = table.groups.sorted { ($0.value.n, $1.key ?? "") > ($1.value.n, $0.key ?? "") }
            otherGroups = max(0, ordered.count - MetricQuery.maxGroups)
            groups = ordered.prefix(MetricQuery.maxGroups).map { key, sample -> Group in
                var label = key ?? "(none)"
                if let key, Self.labelsById(grouping, query.metric), let name = table.labels[key] { label = name }
                return group(sample, byStart: table.groupsByStart[key] ?? [:], key: key, label: label, isWhole: false, query: query,
                             starts: starts)
            }
        }
        return Report(query: query, timeZone: workspace.timeZone, overall: overall, groups: groups, otherGroups: otherGroups)
    }

    /// Whether a grouping's keys are ids shown by a name: surveys, accounts, and the owners of follow-up cases.
    static func labelsById(_ grouping: MetricGrouping, _ metric: SurveyMetric) -> Bool {
        grouping == .survey || grouping == .segment || grouping == .account || (metric == .followUpTime && grouping == .attribute("agent"))
    }

    static func wholeLabel(_ metric: SurveyMetric) -> String {
        switch metric {
        case .nps, .csat, .ces: "All responses"
        case .responseRate: "All invitations"
        case .followUpTime: "All cases"
        }
    }

    private func group(_ sample: MetricSample, byStart: [Int64: MetricSample], key: String?, label: String, isWhole: Bool,
                       query: MetricQuery, starts: [Int64]) -> Group {
        let series = starts.map { Point(start: $0, estimate: byStart[$0]?.estimate(query).0) }
        let (estimate, easy) = sample.estimate(query)
        return Group(key: key, label: label, isWhole: isWhole, estimate: estimate, easyShare: easy,
                     open: query.metric == .followUpTime ? sample.open : nil, series: series)
    }
}
