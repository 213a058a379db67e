import Hummingbird
import RapportCore
import RapportWeb

/// The hosted survey page: no sign-in, the token in the path names one invitation. `GET` shows the questions (with
/// `?score=N` from the email's one-click links, the score is proposed and the person confirms it with the button:
/// a mail scanner following the link records nothing); `POST` saves the answers. Rate limited per address and per
/// token; an unknown or malformed token and an unknown invitation look the same (404).
struct TakeSurveyPages: Sendable {
    let taking: SurveyTaking
    let web: WebRenderer
    let clock: WallClock
    /// Requests per address per minute (any token), and form posts per token per ten minutes.
    let perAddress = RequestThrottle(limit: 120, windowMillis: 60_000)
    let perToken = RequestThrottle(limit: 30, windowMillis: 600_000)

    func add(to router: Router<AppRequestContext>) {
        router.get("/s/:token") { request, context in
            let token = try self.admit(context)
            let score = request.uri.queryParameters.get("score").flatMap { Int($0) }
            guard let state = try await taking.open(token: token, proposedScore: score) else { throw Self.unknownLink }
            let editing = request.uri.queryParameters.get("edit") == "1"
            return htmlResponse(web.render(TakeSurveyPage(state: state, actionURL: "/s/\(token)", editing: editing)))
        }
        router.post("/s/:token") { request, context in
            let token = try self.admit(context)
            guard perToken.allow(token, now: clock.nowMillis) else { throw Self.tooMany }
            let form = try await FormBody.read(request, context: context)
            var answers: SurveyTaking.FormAnswers = [:]
            for (name, values) in form.lists where name.hasPrefix("a_") { answers[String(name.dropFirst(2))] = values }
            do {
                guard let state = try await taking.answer(token: token, form: answers) else { throw Self.unknownLink }
                return htmlResponse(web.render(TakeSurveyPage(state: state, actionURL: "/s/\(token)")))
            } catch let error as RapportError where error.kind == .validation || error.kind == .conflict {
                guard var state = try await taking.open(token: token) else { throw Self.unknownLink }
                // Show what was posted, not only what is stored, so nothing typed is lost.
                if error.kind == .validation { state = Self.withPosted(state, answers) }
                let field = error.details["field"]
                let page = TakeSurveyPage(state: state, actionURL: "/s/\(token)", editing: error.kind == .validation,
                                          error: (field, error.message))
                return htmlResponse(web.render(page), status: error.kind == .validation ? .unprocessableContent : .conflict)
            }
        }
    }

    /// The token, once the address is within its limit and the token looks like one.
    private func admit(_ context: AppRequestContext) throws -> String {
        guard perAddress.allow(context.remoteIP ?? "unknown", now: clock.nowMillis) else { throw Self.tooMany }
        let token = context.parameters.get("token") ?? ""
        guard LinkToken.plausible(token) else { throw Self.unknownLink }
        return token
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
    static let tooMany = RapportError(.rateLimited, code: "rate_limited", message: "Too many requests. Please wait a minute and try again.",
                                      details: ["retry_after_seconds": "60"])
}
