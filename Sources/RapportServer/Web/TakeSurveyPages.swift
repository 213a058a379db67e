import Foundation
import Hummingbird
import RapportCore
import RapportWeb

/// The hosted survey page: no sign-in, the token in the path names one invitation or a survey's public link. `GET`
/// shows the questions (with `?score=N` from the email's one-click links, the score is proposed and the person
/// confirms it with the button: a mail scanner following the link records nothing); `POST` saves the answers.
/// Through a link, a resume token (a cookie scoped to the link's path, and a hidden field of the form) names the
/// browser's anonymous response, so a reload continues it and a form sent twice makes one response. Rate limited per
/// address, per invitation or response, and per address and link for new responses; every refusal (unknown link,
/// too many requests, too large a form) is a page for the respondent, a `429` with `Retry-After`.
struct TakeSurveyPages: Sendable {
    let taking: SurveyTaking
    let web: WebRenderer
    let clock: WallClock
    /// Marks the resume cookie `Secure` (behind HTTPS).
    let secureCookies: Bool
    /// Requests per address per minute (any token), and form posts per invitation or response per ten minutes.
    let perAddress = RequestThrottle(limit: 120, windowMillis: 60_000)
    let perToken = RequestThrottle(limit: 30, windowMillis: 600_000)
    /// New responses one address may start through one link in an hour.
    let startsPerAddressAndLink = RequestThrottle(limit: Self.startsPerHour, windowMillis: 3_600_000)

    static let startsPerHour = 50
    /// The largest form the page takes: a survey's text answers are at most 5,000 characters each.
    static let maxFormBytes = 256 * 1_024
    static let resumeCookie = "rapport_survey"
    /// How long a browser keeps its place in a link's survey.
    static let resumeCookieSeconds = 30 * 86_400

    func add(to router: Router<AppRequestContext>) {
        router.get("/s/:token") { request, context in
            try await respondentPage {
                let token = try self.admit(context)
                let score = request.uri.queryParameters.get("score").flatMap { Int($0) }
                let editing = request.uri.queryParameters.get("edit") == "1"
                if let state = try await taking.open(token: token, proposedScore: score) {
                    return htmlResponse(web.render(TakeSurveyPage(state: state, actionURL: "/s/\(token)", editing: editing)))
                }
                let (resume, isNew) = Self.resumeToken(request, form: nil)
                guard let state = try await taking.openLink(token: token, resumeToken: resume, locale: Self.locale(request),
                                                            proposedScore: score) else { throw Self.unknownLink }
                let page = TakeSurveyPage(state: state, actionURL: Self.linkAction(token, request), editing: editing,
                                          resumeToken: resume)
                return htmlResponse(web.render(page), cookies: isNew ? [resumeCookie(token, resume)] : [])
            }
        }
        router.post("/s/:token") { request, context in
            try await respondentPage {
                let token = try self.admit(context)
                let form = try await FormBody.read(request, context: context, limit: Self.maxFormBytes)
                var answers: SurveyTaking.FormAnswers = [:]
                for (name, values) in form.lists where name.hasPrefix("a_") { answers[String(name.dropFirst(2))] = values }
                if try await taking.isLink(token: token) {
                    return try await answerLink(token, request: request, context: context, form: form, answers: answers)
                }
                try perToken.check(token, now: clock.nowMillis)
                do {
                    guard let state = try await taking.answer(token: token, form: answers) else { throw Self.unknownLink }
                    return htmlResponse(web.render(TakeSurveyPage(state: state, actionURL: "/s/\(token)")))
                } catch let error as RapportError where error.kind == .validation || error.kind == .conflict {
                    guard let state = try await taking.open(token: token) else { throw Self.unknownLink }
                    return errorPage(state, error: error, answers: answers, actionURL: "/s/\(token)", resumeToken: nil)
                }
            }
        }
    }

    /// A form posted through a public link: to the browser's response, or a new one within the address's hourly
    /// allowance for the link.
    private func answerLink(_ token: String, request: Request, context: AppRequestContext, form: FormBody,
                            answers: SurveyTaking.FormAnswers) async throws -> Response {
        let (resume, _) = Self.resumeToken(request, form: form)
        let now = clock.nowMillis
        try perToken.check("r:" + resume, now: now)
        let startKey = "\(token)|\(context.remoteIP ?? "unknown")"
        let starts = !(try await taking.linkResponseExists(token: token, resumeToken: resume))
        if starts, !startsPerAddressAndLink.hasRoom(startKey, now: now) {
            throw startsPerAddressAndLink.refusal(startKey, now: now)
        }
        let actionURL = Self.linkAction(token, request)
        let cookies = [resumeCookie(token, resume)]
        do {
            guard let state = try await taking.answerLink(
                token: token, resumeToken: resume, locale: Self.locale(request),
                attributes: SurveyLink.attributes(Self.query(request)), form: answers) else { throw Self.unknownLink }
            if starts { _ = startsPerAddressAndLink.allow(startKey, now: now) }
            return htmlResponse(web.render(TakeSurveyPage(state: state, actionURL: actionURL, resumeToken: resume)), cookies: cookies)
        } catch let error as RapportError where error.kind == .validation || error.kind == .conflict {
            guard let state = try await taking.openLink(token: token, resumeToken: resume, locale: Self.locale(request)) else {
                throw Self.unknownLink
            }
            var response = errorPage(state, error: error, answers: answers, actionURL: actionURL, resumeToken: resume)
            for cookie in cookies { response.setCookie(cookie) }
            return response
        }
    }

    /// The page again after a refused answer: `422` with the posted answers and the message beside the question, or
    /// `409` with the stored state (closed, final, not taking answers).
    private func errorPage(_ stored: SurveyPageState, error: RapportError, answers: SurveyTaking.FormAnswers, actionURL: String,
                           resumeToken: String?) -> Response {
        // Show what was posted, not only what is stored, so nothing typed is lost.
        let state = error.kind == .validation ? Self.withPosted(stored, answers) : stored
        let page = TakeSurveyPage(state: state, actionURL: actionURL, editing: error.kind == .validation,
                                  error: (error.details["field"], error.message), resumeToken: resumeToken)
        return htmlResponse(web.render(page), status: error.kind == .validation ? .unprocessableContent : .conflict)
    }

    /// Runs a handler of the page; the refusals a respondent can meet become a page of their own (not the signed-in
    /// UI's error page), with `Retry-After` on a `429`.
    private func respondentPage(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as RapportError where [.notFound, .rateLimited, .payloadTooLarge, .badRequest, .validation,
                                                 .timeout].contains(error.kind) {
            let message = error.kind == .payloadTooLarge
                ? "Your answers are too long to send. Please shorten them and try again." : error.message
            var response = htmlResponse(web.render(SurveyMessagePage(status: Int(error.kind.status.code), message: message)),
                                        status: error.kind.status)
            if error.kind == .rateLimited, let retry = error.details["retry_after_seconds"] { response.headers[.retryAfter] = retry }
            if error.kind == .timeout { response.headers[.connection] = "close" }
            return response
        }
    }

    /// The token, once the address is within its limit and the token looks like one.
    private func admit(_ context: AppRequestContext) throws -> String {
        try perAddress.check(context.remoteIP ?? "unknown", now: clock.nowMillis)
        let token = context.parameters.get("token") ?? ""
        guard LinkToken.plausible(token) else { throw Self.unknownLink }
        return token
    }

    /// The browser's resume token for a link: the form's (the page it was sent from), else the cookie's, else a new
    /// one (`isNew`: to be set as the cookie).
    static func resumeToken(_ request: Request, form: FormBody?) -> (token: String, isNew: Bool) {
        if let posted = form?["r"], LinkToken.plausible(posted) { return (posted, false) }
        if let cookie = request.cookies[resumeCookie]?.value, LinkToken.plausible(cookie) { return (cookie, false) }
        return (SecretToken.make(bytes: 24), true)
    }

    /// The cookie that keeps the browser's place in the link's survey, sent only to the link's own path.
    func resumeCookie(_ token: String, _ resume: String) -> Cookie {
        Cookie(name: Self.resumeCookie, value: resume, maxAge: Self.resumeCookieSeconds, path: "/s/\(token)", secure: secureCookies,
               httpOnly: true, sameSite: .lax)
    }

    /// The link's form posts to its own address with the query's attributes, so they reach the response.
    static func linkAction(_ token: String, _ request: Request) -> String {
        let attributes = SurveyLink.attributes(query(request))
        guard !attributes.isEmpty else { return "/s/\(token)" }
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let pairs = attributes.keys.sorted().map { key in
            "\(key)=\(attributes[key]!.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
        }
        return "/s/\(token)?" + pairs.joined(separator: "&")
    }

    static func query(_ request: Request) -> [String: String] {
        var result: [String: String] = [:]
        for name in SurveyLink.attributeParameters {
            if let value = request.uri.queryParameters.get(name) { result[name] = String(value) }
        }
        return result
    }

    /// The browser's first language (`Accept-Language: fr-CA,fr;q=0.9` → `fr-CA`).
    static func locale(_ request: Request) -> String? {
        guard let header = request.headers[.acceptLanguage] else { return nil }
        let first = header.split(separator: ",").first?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces) ?? ""
        return first.isEmpty || first == "*" || first.count > 35 ? nil : first
    }

    /// The posted answers over the stored ones, for showing the form again after an error.
    static func withPosted(_ state: SurveyPageState, _ answers: SurveyTaking.FormAnswers) -> SurveyPageState {
        var shown = state
        for question in state.definition.questions {
            guard let values = answers[question.id]?.filter({ !$0.isEmpty }) else { continue }
            if values.isEmpty { shown.answers[question.id] = nil; continue }
            if question.scoreRange != nil, let number = Double(values[0]) {
                shown.answers[question.id] = .number(number)
            } else {
                shown.answers[question.id] = question.type == .multipleChoice ? .array(values.map { .string($0) }) : .string(values[0])
            }
        }
        shown.questions = state.definition.visibleQuestions(answers: shown.answers)
        shown.stage = .asking
        return shown
    }

    static let unknownLink = RapportError(.notFound, code: "not_found", message: "This survey link is not valid. Nothing was recorded.")
}
