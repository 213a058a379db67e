import Foundation
import Hummingbird
import RapportCore

/// The web widget's public API, called by `/widget.js` from the customer's own site (CORS as the tracking API, which
/// shares the `/v1/` prefix): `check` (authenticated by the workspace's write key) says which survey, if any, to show
/// the identified visitor now; `answer` and `dismiss` act on one showing by its token, as the hosted page does. Bodies
/// are small and bounded; every address and token is rate limited (per process, like the hosted page).
struct WidgetRoutes: Sendable {
    let widget: SurveyWidgetService
    let writeKeys: WriteKeyAuthenticator
    let clock: WallClock
    /// Generous per address: many visitors of one site can share one (an office's NAT). What a visitor's checks can
    /// write is bounded by the contact rules instead (one showing per recontact period, one recorded suppression per
    /// survey and reason a day).
    let perAddress = RequestThrottle(limit: 3_000, windowMillis: 60_000)
    let perToken = RequestThrottle(limit: 30, windowMillis: 600_000)

    static let maxBodyBytes = 16 * 1_024
    static let maxURLLength = 2_000
    static let checkFields: Set<String> = ["write_key", "user_id", "user_hash", "url", "events", "seconds_on_page", "seconds_on_site"]

    func add(to router: Router<AppRequestContext>) {
        let group = router.group("v1/widget")
        group.post("check") { request, context in
            try admit(context)
            let body = try await JSONBody.read(request, context: context, allowed: Self.checkFields, limit: Self.maxBodyBytes,
                                               plainText: true)
            let writeKey = try body.optionalString("write_key")
            let workspace = try await writeKeys.workspace(request, bodyKey: writeKey)
            let visit = try Self.visit(body)
            switch try await widget.check(workspaceId: workspace.id, visit: visit) {
            case .show(let offer):
                return JSONResponse.make(["survey": WidgetPresenter.offer(offer), "retry_after_seconds": .null, "events": []])
            case .nothing(let retry, let events):
                return JSONResponse.make(["survey": .null, "retry_after_seconds": JSONValue(retry),
                                          "events": .array(events.map { .string($0) })])
            }
        }
        group.post("answer") { request, context in
            try admit(context)
            let body = try await JSONBody.read(request, context: context, allowed: ["token", "answers"], limit: Self.maxBodyBytes,
                                               plainText: true)
            let token = try self.token(body)
            guard let answers = try body.object("answers") else { throw RapportError.invalid("answers", "answers is required.") }
            guard answers.count <= SurveyDefinition.maxQuestions else {
                throw RapportError.invalid("answers", "answers may name at most \(SurveyDefinition.maxQuestions) questions.")
            }
            guard let state = try await widget.answer(token: token, answers: answers) else { throw Self.unknownShowing }
            return JSONResponse.make(["survey": WidgetPresenter.survey(state)])
        }
        group.post("dismiss") { request, context in
            try admit(context)
            let body = try await JSONBody.read(request, context: context, allowed: ["token"], limit: Self.maxBodyBytes, plainText: true)
            guard let dismissed = try await widget.dismiss(token: try self.token(body)) else { throw Self.unknownShowing }
            return JSONResponse.make(["dismissed": .bool(dismissed)])
        }
    }

    private func admit(_ context: AppRequestContext) throws {
        guard perAddress.allow(context.remoteIP ?? "unknown", now: clock.nowMillis) else { throw Self.tooMany }
    }

    /// A showing's token, once it looks like one and is within its limit (anything else is an unknown showing).
    private func token(_ body: JSONBody) throws -> String {
        guard let token = try body.optionalString("token") else { throw RapportError.invalid("token", "token is required.") }
        guard LinkToken.plausible(token) else { throw Self.unknownShowing }
        guard perToken.allow(token, now: clock.nowMillis) else { throw Self.tooMany }
        return token
    }

    /// The visit a check describes; errors name the field.
    static func visit(_ body: JSONBody) throws(RapportError) -> SurveyWidgetService.Visit {
        guard let userId = try body.optionalString("user_id")?.trimmed, (1...255).contains(userId.unicodeScalars.count) else {
            throw RapportError.invalid("user_id", "user_id is required: the id the page gave rapport.identify (1–255 characters).")
        }
        let userHash = try body.optionalString("user_hash")
        if let userHash, userHash.count > 128 { throw RapportError.invalid("user_hash", "user_hash must be at most 128 characters.") }
        guard let raw = try body.optionalString("url"), raw.count <= maxURLLength, let url = URLComponents(string: raw),
              let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty else {
            throw RapportError.invalid("url", "url is required: the page's address, http or https, up to \(maxURLLength) characters.")
        }
        let path = url.path.isEmpty ? "/" : url.path
        // The query and fragment are dropped: they may carry personal data or tokens.
        var page = "\(scheme)://\(host)\(url.port.map { ":\($0)" } ?? "")\(url.percentEncodedPath.isEmpty ? "/" : url.percentEncodedPath)"
        if page.unicodeScalars.count > 200 { page = String(String.UnicodeScalarView(page.unicodeScalars.prefix(200))) }
        var events = Set<String>()
        for (index, name) in (try body.strings("events") ?? []).enumerated() {
            guard index < SurveyWidgetService.maxEvents else {
                throw RapportError.invalid("events", "events may list at most \(SurveyWidgetService.maxEvents) event names.")
            }
            guard (1...200).contains(name.unicodeScalars.count) else {
                throw RapportError.invalid("events[\(index)]", "An event name has 1–200 characters.")
            }
            events.insert(name)
        }
        func seconds(_ key: String) throws(RapportError) -> Int {
            guard let value = body.fields[key], !value.isNull else { return 0 }
            return try Validation.integer(value, key, 0...31_536_000)
        }
        return SurveyWidgetService.Visit(userId: userId, userHash: userHash, pageURL: page, path: path, events: events,
                                         secondsOnPage: try seconds("seconds_on_page"), secondsOnSite: try seconds("seconds_on_site"))
    }

    static let unknownShowing = RapportError(.notFound, code: "not_found", message: "No such survey showing. Nothing was recorded.")
    static let tooMany = RapportError(.rateLimited, code: "rate_limited", message: "Too many requests. Please wait a minute and try again.",
                                      details: ["retry_after_seconds": "60"])
}
