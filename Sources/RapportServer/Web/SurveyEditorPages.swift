import Foundation
import Hummingbird
import RapportCore
import RapportWeb

/// The survey builder in the browser: `/surveys/{id}/edit` shows the whole survey as one form beside its preview;
/// posting it runs the button pressed (`op`: add, move, remove, preview, save) on the form as posted, so everything
/// works without JavaScript; `/surveys/{id}/preview` answers only the preview, for the page's script. Saving goes
/// through `SurveyService.update` (the API's checks and versions); previews through `SurveyPreviewing` (the production
/// page template and email rendering). Mounted on the session group; the services check roles.
struct SurveyEditorPages: Sendable {
    let surveys: SurveyService
    let previews: SurveyPreviewing
    let pages: PageResponder

    func add(to group: RouterGroup<AppRequestContext>) {
        group.get("/surveys/:survey_id/edit") { request, context in
            let principal = try context.requirePrincipal()
            let id = try context.id("survey_id", of: "survey")
            let survey = try await surveys.get(principal, id: id)
            let flash: String? = switch request.uri.queryParameters.get("done").map { String($0) } ?? "" {
            case "created": "A draft with one NPS question: change it, add questions, then save and activate it from the survey's page."
            case "saved": "Saved. Answers from now on follow version \(survey.version)."
            default: nil
            }
            return try await editor(principal, survey: survey, draft: SurveyDraft(survey: survey), form: nil, flash: flash)
        }
        group.post("/surveys/:survey_id/edit") { request, context in
            let (principal, form) = try await context.signedInForm(request)
            let id = try context.id("survey_id", of: "survey")
            var draft = SurveyDraft(form: form.lists)
            let op = form["op"] ?? "refresh"
            if op == "save" {
                do {
                    _ = try await surveys.update(principal, id: id, fields: draft.fields, ip: context.remoteIP)
                    return Redirect.to(WebURL.surveyEdit(id, done: "saved"))
                } catch let error as RapportError where error.kind == .validation || error.kind == .conflict {
                    let survey = try await surveys.get(principal, id: id)
                    return try await editor(principal, survey: survey, draft: draft, form: form, flash: nil,
                                            refused: (error.details["field"], error.message),
                                            status: error.kind == .validation ? .unprocessableContent : .conflict)
                }
            }
            switch Self.command(op) {
            case ("add", _): draft.addQuestion(type: form["new_type"] ?? "text")
            case ("up", let index?): draft.move(index, by: -1)
            case ("down", let index?): draft.move(index, by: 1)
            case ("remove", let index?): draft.remove(index)
            default: break
            }
            let survey = try await surveys.get(principal, id: id)
            // Only the Preview button asks for the draft's problems beside their fields; a move or an added question
            // is work in progress, whose problem the preview names.
            return try await editor(principal, survey: survey, draft: draft, form: form, flash: nil, explicit: op == "preview")
        }
        group.post("/surveys/:survey_id/preview") { request, context in
            let (principal, form) = try await context.signedInForm(request)
            let id = try context.id("survey_id", of: "survey")
            let survey = try await surveys.get(principal, id: id)
            // Readers (analysts) get the stored survey's preview in the language and with the answer they pick.
            let builds = principal.role.satisfies(Permission.manageWorkspace.leastRole)
            let (block, problem) = try await preview(principal, survey: survey, draft: builds ? SurveyDraft(form: form.lists) : nil,
                                                     form: form)
            return htmlResponse(pages.web.render(block), status: problem == nil ? .ok : .unprocessableContent)
        }
    }

    /// `up-2` as ("up", 2); `add` as ("add", nil).
    static func command(_ op: String) -> (String, Int?) {
        let parts = op.split(separator: "-", maxSplits: 1).map(String.init)
        return (parts.first ?? "", parts.count > 1 ? Int(parts[1]) : nil)
    }

    /// The preview of the draft (of the stored survey without one), or the problem that stops it. Previewing a draft
    /// needs the right to build (`SurveyService.draft` checks it).
    private func preview(_ principal: Principal, survey: Survey, draft: SurveyDraft?,
                         form: FormBody?) async throws -> (SurveyPreviewBlock, RapportError?) {
        let language = form?["preview_language"]
        let score = form?["preview_score"].flatMap { Int($0) }
        do {
            let result = try await previews.preview(principal, id: survey.id, draft: draft?.fields,
                                                    language: language, score: score)
            return (SurveyPreviewBlock(result) { pages.web.render($0) }, nil)
        } catch let error as RapportError where error.kind == .validation {
            let codes = draft?.languageCodes ?? []
            let shown = codes.first { $0 == language } ?? codes.first ?? survey.definition.defaultLanguage
            return (SurveyPreviewBlock(problem: error.message, language: shown,
                                       scoreRange: survey.definition.primaryQuestion?.scoreRange), error)
        }
    }

    private func editor(_ principal: Principal, survey: Survey, draft: SurveyDraft, form: FormBody?, flash: String?,
                        refused: (String?, String)? = nil, explicit: Bool = false,
                        status: HTTPResponse.Status = .ok) async throws -> Response {
        let canEdit = principal.role.satisfies(Permission.manageWorkspace.leastRole)
        // A posted form is a draft (only builders may post one); the page as loaded previews the stored survey.
        let (block, problem) = try await preview(principal, survey: survey, draft: form == nil ? nil : draft, form: form)
        var shown = refused
        var code = status
        if shown == nil, explicit, let problem {
            shown = (problem.details["field"], problem.message)
            code = .unprocessableContent
        }
        let page = SurveyEditorPage(survey: survey, draft: draft, canEdit: canEdit, preview: block,
                                    previewScore: form?["preview_score"].flatMap { Int($0) },
                                    error: shown.map { (field: $0.0, message: $0.1) }, flash: flash)
        return try await pages.html(page, for: principal, status: code)
    }
}
