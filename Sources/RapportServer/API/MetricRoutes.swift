import Hummingbird
import RapportCore

extension APIRoutes {
    /// `/metrics/{nps|csat|ces}`: a survey metric with its interval, overall, as a trend and by group; analysts and up.
    func addMetricRoutes(metrics: SurveyMetricService, clock: WallClock) {
        get("metrics/:metric", least: Permission.readData.leastRole) { request, context, principal in
            guard let metric = context.parameters.get("metric").flatMap(SurveyMetric.init(rawValue:)) else {
                throw RapportError.notFound("metric")
            }
            let query = try request.metricQuery(metric, now: clock.nowMillis)
            return JSONResponse.make(try await metrics.report(principal, query: query).json)
        }
    }
}

extension Request {
    /// The parameters of `GET /metrics/{metric}`: `survey`, `from` and `to` (ISO 8601; a bare date `to` takes in that
    /// whole day; default the 90 days to now), `interval`, `group_by`, `segment`, `agent`, `team`, `touchpoint`,
    /// `level` and `small_sample`. Empty values are absent; anything that does not fit is `400 invalid_parameter`.
    func metricQuery(_ metric: SurveyMetric, now: Int64) throws(RapportError) -> MetricQuery {
        let to = try dateParameter("to").map { $0.millis + ($0.dateOnly ? 86_400_000 : 1) } ?? now + 1
        let from = try dateParameter("from")?.millis ?? to - Int64(MetricQuery.defaultDays) * 86_400_000
        var query = MetricQuery(metric: metric, surveyId: try optionalUUIDParameter("survey"), from: from, to: to,
                                period: try enumParameter("interval", as: MetricPeriod.self),
                                segmentId: try optionalUUIDParameter("segment"))
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
        return .object(fields)
    }
}

extension SurveyMetricService.Report {
    var json: JSONValue {
        ["metric": .string(query.metric.rawValue), "survey_id": JSONValue(query.surveyId),
         "from": .string(Timestamp.iso8601(query.from)), "to": .string(Timestamp.iso8601(query.to)),
         "interval": JSONValue(query.period?.rawValue), "group_by": JSONValue(query.groupBy?.parameter), "time_zone": .string(timeZone),
         "level": .number(query.level), "small_sample_below": JSONValue(query.smallSampleBelow),
         "overall": overall.json, "groups": .array(groups.map(\.json)), "other_groups": JSONValue(otherGroups)]
    }
}
