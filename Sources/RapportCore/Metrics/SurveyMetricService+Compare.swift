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
        let finalRead = read
        let sample = try await deps.store.read { repos in
            try await MetricObservations.load(repos, workspaceId: workspaceId, query: finalRead)
        }
        let matching = sample.observations.filter { $0.matches(query) }
        func side(_ side: MetricSide) -> [MetricObservation] {
            switch side {
            case .period(let from, let to): matching.filter { $0.at >= from && $0.at < to }
            case .group(let key): matching.filter { observation in query.groupBy.map { observation.keys($0).contains(key) } ?? false }
            }
        }
        let sideA = side(a), sideB = side(b)
        let open: (([MetricObservation]) -> Int?) = { observations in
            query.metric == .followUpTime ? observations.filter { $0.duration == nil }.count : nil
        }
        return MetricComparison(query: read, a: a, b: b, estimateA: Self.estimate(sideA, query).0, estimateB: Self.estimate(sideB, query).0,
                                difference: Self.difference(sideB, minus: sideA, query), openA: open(sideA), openB: open(sideB))
    }

    /// b − a by the metric's method; nil where it gives none.
    static func difference(_ b: [MetricObservation], minus a: [MetricObservation], _ query: MetricQuery) -> Comparison? {
        let level = query.level, threshold = query.smallSampleBelow
        func successes(_ observations: [MetricObservation]) -> Int {
            query.metric == .responseRate ? observations.filter { $0.score == 1 }.count : observations.filter { $0.band == .positive }.count
        }
        switch query.metric {
        case .nps:
            return NetPromoterScore.compare(NetPromoterScore(scores: b.map(\.score)), NetPromoterScore(scores: a.map(\.score)),
                                            level: level, smallSampleBelow: threshold)
        case .csat, .responseRate:
            return Proportions.compare(successesA: successes(b), trialsA: b.count, successesB: successes(a), trialsB: a.count,
                                       level: level, smallSampleBelow: threshold)
        case .ces:
            return MeanAndMedian.compareMeans(b.map { Double($0.score) }, a.map { Double($0.score) }, level: level, smallSampleBelow: threshold)
        case .followUpTime:
            return nil
        }
    }
}
