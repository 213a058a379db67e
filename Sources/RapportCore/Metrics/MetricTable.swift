import Foundation

/// A metric's samples over a range: the whole and each group, each overall and by period start (docs/methods.md,
/// "Computing from counts"). Read either as counts computed by the database (`MetricCountRequest`: NPS, CSAT, CES
/// and the response rate, unfiltered by team and grouped by nothing, the channel, the survey, a trigger attribute
/// other than team, or the segment) or, for everything else (another question than the first, team, traits,
/// accounts, the follow-up time), from every row (`MetricObservations`). Both feed the same `MetricSample`s, so a
/// figure does not depend on the path that read it; the tests check that both paths agree.
struct MetricTable: Sendable {
    var overall = MetricSample()
    var overallByStart: [Int64: MetricSample] = [:]
    var groups: [String?: MetricSample] = [:]
    var groupsByStart: [String?: [Int64: MetricSample]] = [:]
    /// Labels of group keys that are ids: survey names, segment names, account names, owners' names.
    var labels: [String: String] = [:]

    /// Whether the database can count this query (no rows read).
    static func countable(_ query: MetricQuery) -> Bool {
        guard query.questionId == nil, query.attributes["team"] == nil else { return false }
        switch query.metric {
        case .nps, .csat, .ces, .responseRate: break
        case .followUpTime: return false
        }
        return countGrouping(query.groupBy) != nil
    }

    /// The grouping as the database counts it: `.some(nil)` for no grouping, nil when it cannot.
    static func countGrouping(_ grouping: MetricGrouping?) -> MetricCountRequest.Grouping?? {
        switch grouping {
        case nil: return .some(nil)
        case .responseChannel?: return .some(.channel)
        case .survey?: return .some(.survey)
        case .segment?: return .some(.segment)
        case .attribute(let name)?: return name == "team" ? nil : .some(.attribute(name))
        case .trait?, .account?: return nil
        }
    }

    /// The table of a query: counted in the database when it can and `countsInDatabase`, else from the rows.
    static func load(_ repos: any Repositories, workspaceId: String, query: MetricQuery, periods: MetricPeriods?,
                     countsInDatabase: Bool) async throws -> MetricTable {
        guard countsInDatabase, countable(query) else {
            let sample = try await MetricObservations.load(repos, workspaceId: workspaceId, query: query)
            var table = MetricTable()
            table.labels = sample.labels
            for observation in sample.observations where observation.matches(query) {
                let start = periods?.start(of: observation.at)
                table.overall.add(observation, metric: query.metric)
                if let start { table.overallByStart[start, default: MetricSample()].add(observation, metric: query.metric) }
                guard let grouping = query.groupBy else { continue }
                for key in observation.keys(grouping) {
                    table.groups[key, default: MetricSample()].add(observation, metric: query.metric)
                    if let start { table.groupsByStart[key, default: [:]][start, default: MetricSample()].add(observation, metric: query.metric) }
                }
            }
            return table
        }
        var table = MetricTable()
        let surveys = try await MetricObservations.surveys(repos, workspaceId: workspaceId, query: query)
        guard !surveys.isEmpty else { return table }
        table.labels = Dictionary(surveys.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        if let segmentId = query.segmentId, try await repos.segments.find(workspaceId: workspaceId, id: segmentId) == nil {
            throw RapportError.notFound("segment")
        }
        if query.groupBy == .segment {
            for segment in try await repos.segments.all(workspaceId: workspaceId) { table.labels[segment.id] = segment.name }
        }
        let grouping = countGrouping(query.groupBy) ?? nil
        var request = MetricCountRequest(surveyIds: surveys.map(\.id), from: query.from, to: query.to,
                                         dayOffsets: periods.map { LocalDay.offsets(timeZone: $0.calendar.timeZone, from: query.from, to: query.to) },
                                         grouping: grouping, attributes: query.attributes, channel: query.channel, segmentId: query.segmentId,
                                         timeZone: periods?.calendar.timeZone.identifier)
        if let periods, periods.period != .day, let starts = periods.starts(from: query.from, to: query.to, limit: MetricQuery.maxPeriods) {
            request.periodStartDays = periods.localDays(of: starts)
        }
        func counts(_ request: MetricCountRequest) async throws -> [MetricCountRow] {
            if query.metric == .responseRate { return try await repos.surveyInvitations.metricCounts(workspaceId: workspaceId, request) }
            return try await repos.surveyResponses.metricCounts(workspaceId: workspaceId, request)
        }
        var starts: [Int64: Int64] = [:]
        func start(_ day: Int64?) -> Int64? {
            guard let day, let periods else { return nil }
            if let known = starts[day] { return known }
            let value = periods.start(ofLocalDay: day)
            starts[day] = value
            return value
        }
        let rows = try await counts(request)
        // A response is in one group of a single-valued grouping, so the whole is the sum of the groups; a customer
        // is in several segments or none, so the whole is counted on its own.
        let wholeRows: [MetricCountRow]
        if grouping == .segment {
            request.grouping = nil
            wholeRows = try await counts(request)
        } else {
            wholeRows = rows
        }
        for row in wholeRows {
            table.overall.add(score: row.score, positive: row.positive, count: row.count)
            if let start = start(row.localDay) {
                table.overallByStart[start, default: MetricSample()].add(score: row.score, positive: row.positive, count: row.count)
            }
        }
        if grouping != nil {
            for row in rows {
                table.groups[row.key, default: MetricSample()].add(score: row.score, positive: row.positive, count: row.count)
                if let start = start(row.localDay) {
                    table.groupsByStart[row.key, default: [:]][start, default: MetricSample()]
                        .add(score: row.score, positive: row.positive, count: row.count)
                }
            }
        }
        return table
    }
}
