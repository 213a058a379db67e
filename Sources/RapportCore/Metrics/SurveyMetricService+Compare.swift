/// One side of a comparison: a period [from, to), or one group of the query's `groupBy` (e.g. a team).
public enum MetricSide: Sendable, Equatable {
    case period(from: Int64, to: Int64)
    case group(String)
}

/// Two periods or two groups of one metric, with the other filters shared: both estimates and the difference B − A
/// with its interval and p-value (docs/methods.md, "Comparing").
public struct MetricComparison: Sendable, Equatable {
    public var query: MetricQuery
    public var a: MetricSide
    public var b: MetricSide
    /// Nil for a side without data.
    public var estimateA: Estimate?
    public var estimateB: Estimate?
    /// B − A (`difference`, `low`, `high`, `pValue`; its `a` is B's estimate and its `b` A's, as the engine computes
    /// a − b). Nil when a side is empty, for CES when a side has fewer than two answers or neither varies, and for the
    /// follow-up time (no test of two medians is offered).
    public var difference: Comparison?
    /// Follow-up time only: each side's cases still open.
    public var openA: Int?
    public var openB: Int?
}

extension SurveyMetricService {
    /// Compares two periods (each side's own range; the query's `from`/`to` are ignored) or two groups of
    /// `query.groupBy` (within the query's range): NPS by the difference of two independent NPS values, CSAT and
    /// response rate by Newcombe's hybrid score interval, CES by Welch's t test.
    public func compare(_ principal: Principal, query: MetricQuery, a: MetricSide, b: MetricSide) async throws -> MetricComparison {
        try principal.require(Permission.readData.leastRole)
        return try await compare(workspaceId: principal.workspaceId, query: query, a: a, b: b)
    }

    /// `compare` for a workspace, without a caller (the digest).
    func compare(workspaceId: String, query: MetricQuery, a: MetricSide, b: MetricSide) async throws -> MetricComparison {
        guard Estimate.levels.contains(query.level) else {
            throw RapportError.invalid("level", "level must be one of \(Estimate.levels.map { String($0) }.joined(separator: ", ")).")
        }
        var read = query
        read.period = nil
        switch (a, b) {
        case let (.period(fromA, toA), .period(fromB, toB)):
            guard fromA < toA else { throw RapportError.invalid("a_from", "a_from must be before a_to.") }
            guard fromB < toB else { throw RapportError.invalid("b_from", "b_from must be before b_to.") }
            (read.from, read.to) = (min(fromA, fromB), max(toA, toB))
        case let (.group(keyA), .group(keyB)):
            guard query.groupBy != nil else { throw RapportError.invalid("group_by", "Comparing two groups needs group_by.") }
            guard keyA != keyB else { throw RapportError.invalid("b", "a and b must be two different groups.") }
            guard query.from < query.to else { throw RapportError.invalid("from", "from must be before to.") }
        default:
            throw RapportError.invalid("b", "Compare two periods (a_from, a_to, b_from, b_to) or two groups (a, b), not one of each.")
        }
        let countsInDatabase = self.countsInDatabase
        var groupTable: MetricTable?  // both groups come from one read
        func sample(_ side: MetricSide) async throws -> MetricSample {
            if case .group(let key) = side, let groupTable { return groupTable.groups[key] ?? MetricSample() }
            var sideQuery = query
            sideQuery.period = nil
            switch side {
            case .period(let from, let to):
                (sideQuery.from, sideQuery.to) = (from, to)
                sideQuery.groupBy = nil
            case .group:
                break
            }
            let finalQuery = sideQuery
            let table = try await deps.store.read { repos in
                try await MetricTable.load(repos, workspaceId: workspaceId, query: finalQuery, periods: nil, countsInDatabase: countsInDatabase)
            }
            switch side {
            case .period: return table.overall
            case .group(let key):
                groupTable = table
                return table.groups[key] ?? MetricSample()
            }
        }
        let sideA = try await sample(a), sideB = try await sample(b)
        let open: (MetricSample) -> Int? = { query.metric == .followUpTime ? $0.open : nil }
        return MetricComparison(query: read, a: a, b: b, estimateA: sideA.estimate(query).0, estimateB: sideB.estimate(query).0,
                                difference: sideB.difference(minus: sideA, query), openA: open(sideA), openB: open(sideB))
    }
}
