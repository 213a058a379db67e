import Foundation
import Hummingbird
import RapportCore
import RapportWeb

/// The follow-up queue and one case in the browser: mine, my team's or everyone's, overdue first; a case's answers and notes,
/// with the forms that move, assign or close it and add a note. Mounted on the session group; the service checks
/// roles (analysts read, agents and up work cases).
struct FollowUpPages: Sendable {
    let followUps: FollowUpService
    let surveys: SurveyService
    let team: TeamService
    let agentTeams: AgentTeamService
    let clock: WallClock
    let pages: PageResponder

    static let notices = ["saved": "The case is saved.", "noted": "The note is added."]

    func add(to group: RouterGroup<AppRequestContext>) {
        group.get("/follow-ups") { request, context in
            let principal = try context.requirePrincipal()
            var show = request.uri.queryParameters.get("show").flatMap { FollowUpsPage.Show(rawValue: String($0)) } ?? .mine
            if principal.user == nil { show = .all }
            var query = FollowUpQuery()
            switch show {
            case .mine: query.ownerId = principal.user?.id
            case .team: query.teammatesOf = principal.user?.id
            case .all: break
            }
            let cases = try await followUps.list(principal, query: query, page: try request.pageRequest())
            let userId = principal.user?.id
            let inTeam = try await agentTeams.list(principal).contains { team in userId.map(team.memberIds.contains) ?? false }
            let owners = try await team.list(principal, page: PageRequest(limit: PageRequest.maxLimit)).items
            let surveyNames = try await surveys.list(principal, status: nil, page: PageRequest(limit: PageRequest.maxLimit)).items
            let page = FollowUpsPage(cases: cases, show: show,
                                     owners: Dictionary(owners.map { ($0.user.id, $0.user.email) }, uniquingKeysWith: { a, _ in a }),
                                     surveys: Dictionary(surveyNames.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a }),
                                     now: clock.nowMillis, inTeam: inTeam, flash: nil, timeZone: principal.displayZone)
            return try await pages.html(page, for: principal)
        }
        group.get("/follow-ups/:follow_up_id") { request, context in
            let principal = try context.requirePrincipal()
            let id = try context.id("follow_up_id", of: "follow-up case")
            let flash = request.uri.queryParameters.get("done").flatMap { Self.notices[String($0)] }
            return try await casePage(principal, id: id, values: [:], error: nil, flash: flash)
        }
        group.post("/follow-ups/:follow_up_id") { request, context in
            let (principal, form) = try await context.signedInForm(request)
            let id = try context.id("follow_up_id", of: "follow-up case")
            var values: [String: String] = [:]
            for field in ["status", "outcome", "owner_id"] { values[field] = form[field] }
            do {
                let current = try await followUps.get(principal, id: id).followUp
                _ = try await followUps.update(principal, id: id, fields: Self.caseFields(values, current: current))
                return Redirect.to(WebURL.followUp(id, done: "saved"))
            } catch let error as RapportError where error.kind == .validation || error.kind == .conflict {
                return try await casePage(principal, id: id, values: values, error: error.message, flash: nil,
                                          status: error.kind == .conflict ? .conflict : .unprocessableContent)
            }
        }
        group.post("/follow-ups/:follow_up_id/notes") { request, context in
            let (principal, form) = try await context.signedInForm(request)
            let id = try context.id("follow_up_id", of: "follow-up case")
            do {
                _ = try await followUps.addNote(principal, id: id, text: form["text"].map { .string($0) })
                return Redirect.to(WebURL.followUp(id, done: "noted"))
            } catch let error as RapportError where error.kind == .validation {
                return try await casePage(principal, id: id, values: ["text": form["text"] ?? ""], error: error.message,
                                          flash: nil, status: .unprocessableContent)
            }
        }
    }

    private func casePage(_ principal: Principal, id: String, values: [String: String], error: String?, flash: String?,
                          status: HTTPResponse.Status = .ok) async throws -> Response {
        let detail = try await followUps.get(principal, id: id)
        let members = try await team.list(principal, page: PageRequest(limit: PageRequest.maxLimit)).items
        let page = FollowUpPage(detail: detail, members: members, canWork: principal.role.satisfies(Permission.writeData.leastRole),
                                now: clock.nowMillis, values: values, error: error, flash: flash, timeZone: principal.displayZone)
        return try await pages.html(page, for: principal, status: status)
    }

    /// The form as the API's fields, only those that change, so the service validates both the same way.
    static func caseFields(_ form: [String: String], current: FollowUpCase) -> [String: JSONValue] {
        var fields: [String: JSONValue] = [:]
        if let status = form["status"]?.trimmed, !status.isEmpty, status != current.status.rawValue { fields["status"] = .string(status) }
        if let outcome = form["outcome"]?.trimmed, !outcome.isEmpty, outcome != current.outcome { fields["outcome"] = .string(outcome) }
        if let owner = form["owner_id"]?.trimmed, owner != (current.ownerId ?? "") {
            fields["owner_id"] = owner.isEmpty ? .null : .string(owner)
        }
        return fields
    }
}
