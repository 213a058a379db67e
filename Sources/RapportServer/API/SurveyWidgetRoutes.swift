import Hummingbird
import RapportCore

extension APIRoutes {
    /// `/survey-widget`: the workspace's identity verification for the web widget (admins: it holds the secret).
    func addSurveyWidgetRoutes(widget: SurveyWidgetService) {
        get("survey-widget", least: Permission.manageWorkspace.leastRole) { _, _, principal in
            JSONResponse.make(try await widget.identity(principal).json)
        }

        put("survey-widget", least: Permission.manageWorkspace.leastRole) { request, context, principal in
            let body = try await JSONBody.read(request, context: context, allowed: SurveyWidgetIdentity.keys)
            return JSONResponse.make(try await widget.updateIdentity(principal, fields: body.fields, ip: context.remoteIP).json)
        }
    }
}
