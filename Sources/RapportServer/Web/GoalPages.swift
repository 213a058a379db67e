import Foundation
import Hummingbird
import RapportCore
import RapportWeb

/// `/goals`: CX goals with their progress, set by admins, and the member's email digest. Mounted on the session group.
struct GoalPages: Sendable {
    let goals: CXGoalService
    let digests: DigestService
    let surveys: SurveyService
    let segments: SegmentService
    let pages: PageResponder

    static let notices = ["created": "The goal is set.", "deleted": "The goal is deleted.", "digest": "Your digest setting is saved.",
                          "sent": "Your digest is on its way."]

    func add(to group: RouterGroup<AppRequestContext>) {
        group.get("/goals") { request, context in
            let principal = try context.requirePrincipal()
            return try await page(principal, flash: request.uri.queryParameters.get("done").flatMap { Self.notices[$0] })
        }
        group.post("/goals") { request, context in
            let (principal, form) = try await context.signedInForm(request)
            var fields: [String: JSONValue] = ["name": .string(form["name"] ?? ""), "metric": .string(form["metric"] ?? ""),
                                               "due_date": .string(form["due_date"] ?? "")]
            let target = (form["target"] ?? "").trimmed.replacingOccurrences(of: ",", with: ".")
            fields["target"] = Double(target).map(JSONValue.number) ?? .string(target)
            for name in ["survey_id", "segment_id"] { fields[name] = (form[name] ?? "").isEmpty ? .null : .string(form[name] ?? "") }
            if let days = form["window_days"], !days.isEmpty { fields["window_days"] = Double(days).map(JSONValue.number) ?? .string(days) }
            do {
                _ = try await goals.create(principal, fields: fields, ip: context.remoteIP)
                return Redirect.to("/goals?done=created")
            } catch let error as RapportError where [.validation, .conflict].contains(error.kind) {
                return try await page(principal, error: error.message, status: error.kind.status)
            }
        }
        group.post("/goals/:goal_id/delete") { request, context in
            let (principal, _) = try await context.signedInForm(request)
            try await goals.delete(principal, id: try context.id("goal_id", of: "goal"), ip: context.remoteIP)
            return Redirect.to("/goals?done=deleted")
        }
        group.post("/goals/digest") { request, context in
            let (principal, form) = try await context.signedInForm(request)
            do {
                let frequency = try Validation.oneOf(form["frequency"], field: "frequency", as: DigestFrequency.self)
                _ = try await digests.setFrequency(principal, frequency)
                return Redirect.to("/goals?done=digest#digest")
            } catch let error as RapportError where error.kind == .validation {
                return try await page(principal, error: error.message, status: error.kind.status)
            }
        }
        group.post("/goals/digest/send") { request, context in
            let (principal, _) = try await context.signedInForm(request)
            do {
                _ = try await digests.sendNow(principal)
                return Redirect.to("/goals?done=sent#digest")
            } catch let error as RapportError where error.kind == .conflict {
                return try await page(principal, error: error.message, status: error.kind.status)
            }
        }
    }

    private func page(_ principal: Principal, error: String? = nil, flash: String? = nil,
                      status: HTTPResponse.Status = .ok) async throws -> Response {
        let all = PageRequest(limit: PageRequest.maxLimit)
        let model = GoalsPage(goals: try await goals.list(principal), surveys: try await surveys.list(principal, status: nil, page: all).items,
                              segments: try await segments.list(principal, page: all).items, digest: try await digests.setting(principal),
                              error: error, flash: flash, timeZone: principal.displayZone)
        return try await pages.html(model, for: principal, status: status)
    }
}
