import Hummingbird
import RapportCore

extension Request {
    /// The filters of `GET /surveys/{id}/responses` and its CSV export: `customer_id`, `band`, `status`, `from` and
    /// `to` (ISO 8601; a bare date `to` takes in that whole day, UTC), `channel`, `agent`, `segment` and `q`. Empty
    /// values are absent; anything else that does not fit is `400 invalid_parameter`.
    func surveyResponseQuery(surveyId: String) throws(RapportError) -> SurveyResponseQuery {
        var query = SurveyResponseQuery(surveyId: surveyId, customerId: try optionalUUIDParameter("customer_id"),
                                        band: try enumParameter("band", as: ScoreBand.self),
                                        status: try enumParameter("status", as: SurveyResponse.Status.self))
        if let from = try dateParameter("from") { query.submittedFrom = from.millis }
        if let to = try dateParameter("to") { query.submittedBefore = to.millis + (to.dateOnly ? 86_400_000 : 1) }
        if let channel = textParameter("channel") {
            guard SurveyResponse.channels.contains(channel) else {
                throw RapportError(.badRequest, code: "invalid_parameter",
                                   message: "channel must be one of: \(SurveyResponse.channels.joined(separator: ", ")).",
                                   details: ["field": "channel"])
            }
            query.channel = channel
        }
        query.agent = try boundedText("agent")
        query.segmentId = try optionalUUIDParameter("segment")
        query.text = try boundedText("q")
        return query
    }

    /// A text parameter of at most 200 characters (as the raw value counts them, before trimming).
    func boundedText(_ name: String) throws(RapportError) -> String? {
        if let raw = uri.queryParameters.get(name), raw.count > 200 {
            throw RapportError(.badRequest, code: "invalid_parameter", message: "\(name) must be at most 200 characters.",
                               details: ["field": name])
        }
        return textParameter(name)
    }

    /// A query parameter's trimmed text; nil when absent or empty.
    func textParameter(_ name: String) -> String? {
        guard let raw = uri.queryParameters.get(name).map({ String($0).trimmed }), !raw.isEmpty else { return nil }
        return raw
    }

    /// An ISO 8601 date or date-time query parameter, and whether it was a bare date.
    func dateParameter(_ name: String) throws(RapportError) -> (millis: Int64, dateOnly: Bool)? {
        guard let raw = textParameter(name) else { return nil }
        guard let millis = ISO8601.millis(raw) else {
            throw RapportError(.badRequest, code: "invalid_parameter",
                               message: "\(name) must be a date like 2025-03-14 or a date-time like 2025-03-14T09:30:00Z.",
                               details: ["field": name])
        }
        return (millis, raw.count == 10)
    }
}
