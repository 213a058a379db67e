import Foundation

/// NPS, CSAT and CES over a date range, overall, as a trend by day, week or month in the workspace's time zone, and
/// broken down by a trigger attribute, the answering channel or the survey (docs/methods.md, docs/api.md "Metrics").
/// Read by analysts and up.
public struct SurveyMetricService: Sendable {
    let deps: CoreDependencies

    public init(_ deps: CoreDependencies) {
        self.deps = deps
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
        let workspaceId = workspace.id
        let (rows, names) = try await deps.store.read { repos -> ([SurveyMetricRow], [String: String]) in
            var surveys: [Survey]
            if let id = query.surveyId {
                guard let survey = try await repos.surveys.find(workspaceId: workspaceId, id: id) else {
                    throw RapportError.notFound("survey")
                }
                guard survey.definition.questions.first?.type == query.metric.questionType else {
                    throw RapportError.invalid("survey", "The survey \"\(survey.name)\" does not open with a \(query.metric.rawValue) "
                                                   + "question, so it has no \(query.metric.rawValue).")
                }
                surveys = [survey]
            } else {
                surveys = try await repos.surveys.list(workspaceId: workspaceId, status: nil, page: PageRequest(limit: PageRequest.maxLimit)).items
                surveys = surveys.filter { $0.definition.questions.first?.type == query.metric.questionType }
            }
            guard !surveys.isEmpty else { return ([], [:]) }
            var rows = try await repos.surveyResponses.metricRows(workspaceId: workspaceId, surveyIds: surveys.map(\.id),
                                                                  from: query.from, to: query.to)
            if let segmentId = query.segmentId {
                guard try await repos.segments.find(workspaceId: workspaceId, id: segmentId) != nil else {
                    throw RapportError.notFound("segment")
                }
                let members = Set(try await repos.segments.memberIds(workspaceId: workspaceId, segmentId: segmentId))
                rows = rows.filter { $0.customerId.map(members.contains) ?? false }
            }
            return (rows, Dictionary(surveys.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first }))
        }
        let matching = rows.filter { row in
            query.attributes.allSatisfy { row.attributes[$0.key] == $0.value } && query.channel.map { row.channel == $0 } ?? true
        }
        let overall = group(matching, key: nil, label: "All responses", isWhole: true, query: query, periods: periods, starts: starts)
        var groups: [Group] = []
        var otherGroups = 0
        if let grouping = query.groupBy {
            var byKey: [String?: [SurveyMetricRow]] = [:]
            for row in matching { byKey[Self.key(of: row, grouping), default: []].append(row) }
            let ordered = byKey.sorted { ($0.value.count, $1.key ?? "") > ($1.value.count, $0.key ?? "") }
            otherGroups = max(0, ordered.count - MetricQuery.maxGroups)
            groups = ordered.prefix(MetricQuery.maxGroups).map { key, rows in
                let label = key.map { grouping == .survey ? names[$0] ?? $0 : $0 } ?? "(none)"
                return group(rows, key: key, label: label, isWhole: false, query: query, periods: periods, starts: starts)
            }
        }
        return Report(query: query, timeZone: workspace.timeZone, overall: overall, groups: groups, otherGroups: otherGroups)
    }

    static func key(of row: SurveyMetricRow, _ grouping: MetricGrouping) -> String? {
        switch grouping {
        case .attribute(let name): row.attributes[name]
        case .responseChannel: row.channel
        case .survey: row.surveyId
        }
    }

    private func group(_ rows: [SurveyMetricRow], key: String?, label: String, isWhole: Bool, query: MetricQuery,
                       periods: MetricPeriods?, starts: [Int64]) -> Group {
        var series: [Point] = []
        if let periods {
            var byStart: [Int64: [SurveyMetricRow]] = [:]
            for row in rows { byStart[periods.start(of: row.submittedAt), default: []].append(row) }
            series = starts.map { Point(start: $0, estimate: Self.estimate(byStart[$0] ?? [], query).0) }
        }
        let (estimate, easy) = Self.estimate(rows, query)
        return Group(key: key, label: label, isWhole: isWhole, estimate: estimate, easyShare: easy, series: series)
    }

    /// The metric of some rows, and for CES the share of easy answers; nil for none.
    static func estimate(_ rows: [SurveyMetricRow], _ query: MetricQuery) -> (Estimate?, Estimate?) {
        let level = query.level, threshold = query.smallSampleBelow
        switch query.metric {
        case .nps:
            return (NetPromoterScore(scores: rows.map(\.score)).estimate(level: level, smallSampleBelow: threshold), nil)
        case .csat:
            let satisfied = rows.filter { $0.band == .positive }.count
            return (Proportions.estimate(successes: satisfied, trials: rows.count, level: level, smallSampleBelow: threshold), nil)
        case .ces:
            let easy = rows.filter { $0.band == .positive }.count
            return (MeanAndMedian.mean(rows.map { Double($0.score) }, level: level, smallSampleBelow: threshold),
                    Proportions.estimate(successes: easy, trials: rows.count, level: level, smallSampleBelow: threshold))
        }
    }
}
