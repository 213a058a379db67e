import Hummingbird
import RapportCore

extension APIRoutes {
    /// `/metrics/{metric}`: a metric with its interval, overall, as a trend and by group; `/metrics/{metric}/compare`:
    /// two periods or two groups with the difference B − A; either as CSV with `format=csv` or `Accept: text/csv`.
    /// Analysts and up.
    func addMetricRoutes(metrics: SurveyMetricService, clock: WallClock) {
        get("metrics/:metric", least: Permission.readData.leastRole) { request, context, principal in
            let metric = try Self.metric(context)
            let query = try request.metricQuery(metric, now: clock.nowMillis)
            let csv = try request.wantsCSV()
            let report = try await metrics.report(principal, query: query)
            return csv ? MetricDownload.response(MetricCSV.report(report), filename: "\(metric.rawValue).csv") : JSONResponse.make(report.json)
        }
        get("metrics/:metric/compare", least: Permission.readData.leastRole) { request, context, principal in
            let metric = try Self.metric(context)
            let query = try request.metricQuery(metric, now: clock.nowMillis)
            let (a, b) = try request.comparisonSides()
            let csv = try request.wantsCSV()
            let comparison = try await metrics.compare(principal, query: query, a: a, b: b)
            return csv ? MetricDownload.response(MetricCSV.comparison(comparison), filename: "\(metric.rawValue)-comparison.csv")
                : JSONResponse.make(comparison.json)
        }
    }

    static func metric(_ context: AppRequestContext) throws -> SurveyMetric {
        guard let metric = context.parameters.get("metric").flatMap(SurveyMetric.init(rawValue:)) else {
            throw RapportError.notFound("metric")
        }
        return metric
    }
}

/// A metrics table as a CSV download.
enum MetricDownload {
    static func response(_ text: String, filename: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8",
                                         .contentDisposition: "attachment; filename=\"\(filename)\""],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

extension Request {
    /// The parameters of `GET /metrics/{metric}`: `survey`, `question`, `from` and `to` (ISO 8601; a bare date `to`
    /// takes in that whole day; default the 90 days to now), `interval`, `group_by`, `segment`, `agent`, `team`,
    /// `touchpoint`, `level` and `small_sample`. Empty values are absent; anything that does not fit is
    /// `400 invalid_parameter`.
    func metricQuery(_ metric: SurveyMetric, now: Int64) throws(RapportError) -> MetricQuery {
        let to = try dateParameter("to").map { $0.millis + ($0.dateOnly ? 86_400_000 : 1) } ?? now + 1
        let from = try dateParameter("from")?.millis ?? to - Int64(MetricQuery.defaultDays) * 86_400_000
        var query = MetricQuery(metric: metric, surveyId: try optionalUUIDParameter("survey"), from: from, to: to,
                                period: try enumParameter("interval", as: MetricPeriod.self),
                                segmentId: try optionalUUIDParameter("segment"))
        if let question = textParameter("question") {
            guard MetricQuery.isQuestionId(question) else {
                throw RapportError(.badRequest, code: "invalid_parameter", message: "question must be a question id (a-z, 0-9, _).",
                                   details: ["field": "question"])
            }
            query.questionId = question
        }
        if let raw = textParameter("group_by") { query.groupBy = try MetricGrouping(parameter: raw) }
        for name in ["agent", "team", "touchpoint"] {
            if let value = try boundedText(name) { query.attributes[name] = value }
        }
        if let raw = textParameter("level") {
            guard let level = Double(raw), Estimate.levels.contains(level) else {
                throw RapportError(.badRequest, code: "invalid_parameter", message: "level must be 0.8, 0.9, 0.95 or 0.99.",
                                   details: ["field": "level"])
            }
            query.level = level
        }
        if let raw = textParameter("small_sample") {
            guard let threshold = Int(raw), (1...100_000).contains(threshold) else {
                throw RapportError(.badRequest, code: "invalid_parameter", message: "small_sample must be a whole number from 1 to 100000.",
                                   details: ["field": "small_sample"])
            }
            query.smallSampleBelow = threshold
        }
        return query
    }
}

extension Request {
    /// `format=csv` (or `json`), else an `Accept` header that names `text/csv`.
    func wantsCSV() throws(RapportError) -> Bool {
        let format: String? = uri.queryParameters.get("format").map { String($0) }
        switch format {
        case "csv"?: return true
        case "json"?: return false
        case nil, ""?: return (headers[.accept] ?? "").contains("text/csv")
        default:
            throw RapportError(.badRequest, code: "invalid_parameter", message: "format must be json or csv.", details: ["field": "format"])
        }
    }

    /// The two sides of `/metrics/{metric}/compare`: periods `a_from`, `a_to`, `b_from`, `b_to` (all four; a bare
    /// date `to` takes in that whole day), or groups `a` and `b` of `group_by`.
    func comparisonSides() throws(RapportError) -> (MetricSide, MetricSide) {
        let names = ["a_from", "a_to", "b_from", "b_to"]
        var bounds: [Int64] = []
        for name in names {
            guard let date = try dateParameter(name) else { continue }
            bounds.append(date.millis + (name.hasSuffix("_to") && date.dateOnly ? 86_400_000 : 0))
        }
        let a = try boundedText("a"), b = try boundedText("b")
        if a != nil || b != nil {
            guard bounds.isEmpty else {
                throw RapportError(.badRequest, code: "invalid_parameter",
                                   message: "Compare two groups (a, b) or two periods (a_from, a_to, b_from, b_to), not both.",
                                   details: ["field": "a_from"])
            }
            guard let a, let b else {
                throw RapportError(.badRequest, code: "invalid_parameter", message: "Two groups need both a and b.",
                                   details: ["field": a == nil ? "a" : "b"])
            }
            return (.group(a), .group(b))
        }
        guard bounds.count == 4 else {
            let missing = names.first { textParameter($0) == nil } ?? "a_from"
            throw RapportError(.badRequest, code: "invalid_parameter",
                               message: "Give two periods (a_from, a_to, b_from, b_to) or two groups (a and b, with group_by).",
                               details: ["field": missing])
        }
        return (.period(from: bounds[0], to: bounds[1]), .period(from: bounds[2], to: bounds[3]))
    }
}

extension Estimate {
    var json: JSONValue {
        ["value": .number(value), "low": low.map(JSONValue.number) ?? .null, "high": high.map(JSONValue.number) ?? .null, "level": .number(level), "n": JSONValue(n),
         "small_sample": .bool(smallSample)]
    }
}

extension SurveyMetricService.Group {
    var json: JSONValue {
        var fields: [String: JSONValue] = ["label": .string(label), "estimate": estimate.map(\.json) ?? .null,
                                           "series": .array(series.map { point in
                                               ["start": .string(Timestamp.iso8601(point.start)), "estimate": point.estimate.map(\.json) ?? .null]
                                           })]
        if !isWhole { fields["key"] = JSONValue(key) }
        if let easyShare { fields["easy_share"] = easyShare.json }
        if let open { fields["open"] = JSONValue(open) }
        return .object(fields)
    }
}

extension SurveyMetricService.Report {
    var json: JSONValue {
        ["metric": .string(query.metric.rawValue), "survey_id": JSONValue(query.surveyId), "question": JSONValue(query.questionId),
         "from": .string(Timestamp.iso8601(query.from)), "to": .string(Timestamp.iso8601(query.to)),
         "interval": JSONValue(query.period?.rawValue), "group_by": JSONValue(query.groupBy?.parameter), "time_zone": .string(timeZone),
         "level": .number(query.level), "small_sample_below": JSONValue(query.smallSampleBelow),
         "overall": overall.json, "groups": .array(groups.map(\.json)), "other_groups": JSONValue(otherGroups)]
    }
}

extension MetricSide {
    var json: JSONValue {
        switch self {
        case .period(let from, let to): ["from": .string(Timestamp.iso8601(from)), "to": .string(Timestamp.iso8601(to))]
        case .group(let key): ["group": .string(key)]
        }
    }
}

extension MetricComparison {
    var json: JSONValue {
        func side(_ side: MetricSide, _ estimate: Estimate?, _ open: Int?) -> JSONValue {
            guard case .object(var fields) = side.json else { return .null }
            fields["estimate"] = estimate.map(\.json) ?? .null
            if let open { fields["open"] = JSONValue(open) }
            return .object(fields)
        }
        let difference: JSONValue = self.difference.map { comparison in
            ["value": .number(comparison.difference), "low": .number(comparison.low), "high": .number(comparison.high),
             "level": .number(comparison.level), "p_value": .number(comparison.pValue), "significant": .bool(comparison.isSignificant)]
        } ?? .null
        return ["metric": .string(query.metric.rawValue), "survey_id": JSONValue(query.surveyId), "question": JSONValue(query.questionId),
                "from": .string(Timestamp.iso8601(query.from)), "to": .string(Timestamp.iso8601(query.to)),
                "group_by": JSONValue(query.groupBy?.parameter), "level": .number(query.level),
                "small_sample_below": JSONValue(query.smallSampleBelow),
                "a": side(a, estimateA, openA), "b": side(b, estimateB, openB), "difference": difference]
    }
}
