import Foundation
import Hummingbird
import RapportCore
import RapportWeb

/// Surveys in the browser: the list with the quick-start form (an NPS, CSAT or CES survey with an optional follow-up
/// for unhappy answers), and one survey with its questions, responses and the moves of its life. Mounted on the
/// session group; the service checks roles.
struct SurveyPages: Sendable {
    let surveys: SurveyService
    let responses: SurveyResponseService
    let invitations: SurveyInvitationService
    let links: SurveyLinkService
    let segments: SegmentService
    let pages: PageResponder

    static let notices = [
        "created": "The survey is a draft: activate it to start asking.", "activate": "The survey is active.",
        "pause": "The survey is paused: it sends nothing new.", "close": "The survey is closed for good.",
        "invite": "The invitations are scheduled; each is sent or held back by the contact rules in a moment.",
        "link_disabled": "The shareable link is disabled: its address no longer opens the survey.",
    ]

    func add(to group: RouterGroup<AppRequestContext>) {
        group.get("/surveys") { request, context in
            try await listPage(try context.requirePrincipal(), values: [:], error: nil, flash: notice(request))
        }
        group.post("/surveys") { request, context in
            let (principal, form) = try await context.signedInForm(request)
            var values: [String: String] = [:]
            // "Build a custom survey" starts a draft with one NPS question and opens the builder on it.
            let custom = form["op"] == "build"
            for field in custom ? ["custom_name"] : ["name", "kind", "question", "follow_up"] { values[field] = form[field] }
            do {
                let fields = try Self.surveyFields(custom ? ["name": values["custom_name"] ?? ""] : values)
                let survey = try await surveys.create(principal, fields: fields, ip: context.remoteIP)
                return Redirect.to(custom ? WebURL.surveyEdit(survey.id, done: "created") : WebURL.survey(survey.id, done: "created"))
            } catch let error as RapportError where error.kind == .validation {
                return try await listPage(principal, values: values, error: custom ? nil : error.message,
                                          customError: custom ? error.message : nil, flash: nil, status: .unprocessableContent)
            }
        }
        group.get("/surveys/:survey_id") { request, context in
            let principal = try context.requirePrincipal()
            let id = try context.id("survey_id", of: "survey")
            return try await surveyPage(principal, id: id, request: request, flash: notice(request), error: nil)
        }
        group.post("/surveys/:survey_id/invite") { request, context in
            let (principal, form) = try await context.signedInForm(request)
            let id = try context.id("survey_id", of: "survey")
            do {
                _ = try await invitations.invite(principal, surveyId: id, customerIds: nil, segmentId: form["segment_id"] ?? "",
                                                 attributes: nil, delaySeconds: 0)
                return Redirect.to(WebURL.survey(id, done: "invite"))
            } catch let error as RapportError where error.kind == .validation || error.kind == .conflict {
                return try await surveyPage(principal, id: id, request: request, flash: nil, error: error.message,
                                            status: error.kind == .validation ? .unprocessableContent : .conflict)
            }
        }
        for (path, rotate) in [("link", false), ("link/rotate", true)] {
            group.post("/surveys/:survey_id/\(path)") { request, context in
                let (principal, _) = try await context.signedInForm(request)
                let id = try context.id("survey_id", of: "survey")
                do {
                    let link = try await links.issue(principal, surveyId: id, rotate: rotate, ip: context.remoteIP)
                    return try await surveyPage(principal, id: id, request: request, flash: nil, error: nil,
                                                status: rotate ? .ok : .created, madeLink: link)
                } catch let error as RapportError where error.kind == .conflict || error.code == "link_not_found" {
                    return try await surveyPage(principal, id: id, request: request, flash: nil, error: error.message,
                                                status: error.kind.status)
                }
            }
        }
        group.post("/surveys/:survey_id/link/disable") { request, context in
            let (principal, _) = try await context.signedInForm(request)
            let id = try context.id("survey_id", of: "survey")
            try await links.disable(principal, surveyId: id, ip: context.remoteIP)
            return Redirect.to(WebURL.survey(id, done: "link_disabled"))
        }
        group.get("/surveys/:survey_id/responses.csv") { request, context in
            let principal = try context.requirePrincipal()
            let id = try context.id("survey_id", of: "survey")
            let export = try await responses.export(principal, query: try request.surveyResponseQuery(surveyId: id))
            return SurveyResponseDownload.response(export, surveyId: id)
        }
        for (action, status) in [("activate", SurveyStatus.active), ("pause", .paused), ("close", .closed)] {
            group.post("/surveys/:survey_id/\(action)") { request, context in
                let (principal, _) = try await context.signedInForm(request)
                let id = try context.id("survey_id", of: "survey")
                _ = try await surveys.setStatus(principal, id: id, to: status, ip: context.remoteIP)
                return Redirect.to(WebURL.survey(id, done: action))
            }
        }
    }

    private func surveyPage(_ principal: Principal, id: String, request: Request, flash: String?, error: String?,
                            status: HTTPResponse.Status = .ok, madeLink: SurveyLinkStatus? = nil) async throws -> Response {
        let survey = try await surveys.get(principal, id: id)
        let cursor = request.method == .get ? try request.pageRequest() : PageRequest()
        // The list takes the API's response filters and the metrics' (team, touchpoint, scored), so that a figure on
        // the dashboard links to exactly the responses behind it; a filter that does not fit is said on the page.
        var filter: SurveyResponseQuery?
        var shownError = error, status = status
        if request.method == .get, Self.filterNames.contains(where: { request.uri.queryParameters.get($0) != nil }) {
            do {
                filter = try request.surveyPageQuery(surveyId: id)
            } catch let failure {
                (shownError, status) = ("The response filters could not be read: \(failure.message)", failure.kind.status)
            }
        }
        let page = try await responses.list(principal, query: filter ?? SurveyResponseQuery(surveyId: id), page: cursor)
        var matching: Int?
        if let filter { matching = try await responses.count(principal, query: filter) }
        let canInvite = principal.role.satisfies(Permission.writeData.leastRole)
        let segmentList = canInvite ? try await segments.list(principal, page: PageRequest(limit: PageRequest.maxLimit)).items : []
        let linkStatus: SurveyLinkStatus
        if let madeLink { linkStatus = madeLink } else { linkStatus = try await links.status(principal, surveyId: id) }
        let model = SurveyPage(survey: survey, responses: page,
                               canManage: principal.role.satisfies(Permission.manageWorkspace.leastRole),
                               canImport: canInvite, flash: flash, timeZone: principal.displayZone,
                               invitationCounts: try await invitations.stats(principal, surveyId: id), canInvite: canInvite,
                               segments: segmentList, error: shownError,
                               link: SurveyLinkSection(linkStatus, survey: survey,
                                                       canManage: principal.role.satisfies(Permission.manageWorkspace.leastRole),
                                                       timeZone: principal.displayZone),
                               filter: filter, filterQuery: filter == nil ? "" : Self.filterQuery(request), matching: matching)
        return try await pages.html(model, for: principal, status: status)
    }

    /// The query parameters that filter the response list.
    static let filterNames = ["status", "band", "from", "to", "channel", "agent", "team", "touchpoint", "segment", "q", "scored",
                              "customer_id"]

    /// The filters of the request as a query string, for the "older responses" link.
    static func filterQuery(_ request: Request) -> String {
        filterNames.compactMap { name in
            request.uri.queryParameters.get(name).map {
                "\(name)=\(String($0).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
            }
        }.joined(separator: "&")
    }

    private func notice(_ request: Request) -> String? {
        request.uri.queryParameters.get("done").flatMap { Self.notices[String($0)] }
    }

    private func listPage(_ principal: Principal, values: [String: String], error: String?, customError: String? = nil,
                          flash: String?, status: HTTPResponse.Status = .ok) async throws -> Response {
        let list = try await surveys.list(principal, status: nil, page: PageRequest(limit: PageRequest.maxLimit)).items
        let page = SurveysPage(surveys: list, canBuild: principal.role.satisfies(Permission.manageWorkspace.leastRole),
                               values: values, error: error, customError: customError, flash: flash, timeZone: principal.displayZone)
        return try await pages.html(page, for: principal, status: status)
    }

    /// The quick-start form as the API's survey fields, so the service validates both the same way.
    static func surveyFields(_ form: [String: String]) throws(RapportError) -> [String: JSONValue] {
        func text(_ key: String) -> String? { form[key].map(\.trimmed).flatMap { $0.isEmpty ? nil : $0 } }
        let kind = text("kind") ?? "nps"
        let standard: [String: (String, [String])] = [
            "nps": ("How likely are you to recommend us to a friend or colleague?", ["detractor"]),
            "csat": ("How satisfied are you with the help you received?", ["negative"]),
            "ces": ("The company made it easy for me to handle my issue.", ["negative"]),
        ]
        guard let (wording, unhappy) = standard[kind] else {
            throw RapportError.invalid("kind", "Choose NPS, CSAT or CES.")
        }
        var score: [String: JSONValue] = ["id": "score", "type": .string(kind), "required": true, "text": .string(text("question") ?? wording)]
        switch kind {
        case "nps": score["low_label"] = "Not at all likely"; score["high_label"] = "Extremely likely"
        case "csat": score["low_label"] = "Very unsatisfied"; score["high_label"] = "Very satisfied"
        default: score["low_label"] = "Strongly disagree"; score["high_label"] = "Strongly agree"
        }
        var questions: [JSONValue] = [.object(score)]
        if let followUp = text("follow_up") {
            questions.append(["id": "reason", "type": "text", "text": .string(followUp),
                              "show_if": ["question": "score", "band": .array(unhappy.map { .string($0) })]])
        }
        return ["name": .string(form["name"] ?? ""), "questions": .array(questions)]
    }
}

extension Request {
    /// The survey page's response filters: the API's (`surveyResponseQuery`) and `team`, `touchpoint` and
    /// `scored=true` (only responses with a headline score, as the metrics count them).
    func surveyPageQuery(surveyId: String) throws(RapportError) -> SurveyResponseQuery {
        var query = try surveyResponseQuery(surveyId: surveyId)
        for name in ["team", "touchpoint"] {
            if let value = try boundedText(name) { query.attributes[name] = value }
        }
        if let scored = textParameter("scored") {
            guard ["true", "false"].contains(scored) else {
                throw RapportError(.badRequest, code: "invalid_parameter", message: "scored must be true or false.",
                                   details: ["field": "scored"])
            }
            query.scoredOnly = scored == "true"
        }
        return query
    }
}
