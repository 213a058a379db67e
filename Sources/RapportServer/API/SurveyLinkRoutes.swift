import Hummingbird
import RapportCore

extension APIRoutes {
    /// `/surveys/{id}/link…`: a survey's public link, read by every member, made, rotated and disabled by admins. The
    /// address is in the answer that makes it, only: the token is stored as a hash.
    func addSurveyLinkRoutes(links: SurveyLinkService) {
        get("surveys/:survey_id/link", least: Permission.readData.leastRole) { _, context, principal in
            JSONResponse.make(try await links.status(principal, surveyId: try context.id("survey_id", of: "survey")).json)
        }

        post("surveys/:survey_id/link", least: Permission.manageWorkspace.leastRole) { _, context, principal in
            let id = try context.id("survey_id", of: "survey")
            return JSONResponse.make(try await links.issue(principal, surveyId: id, rotate: false, ip: context.remoteIP).json,
                                     status: .created)
        }

        post("surveys/:survey_id/link/rotate", least: Permission.manageWorkspace.leastRole) { _, context, principal in
            let id = try context.id("survey_id", of: "survey")
            return JSONResponse.make(try await links.issue(principal, surveyId: id, rotate: true, ip: context.remoteIP).json)
        }

        delete("surveys/:survey_id/link", least: Permission.manageWorkspace.leastRole) { _, context, principal in
            try await links.disable(principal, surveyId: try context.id("survey_id", of: "survey"), ip: context.remoteIP)
            return JSONResponse.noContent
        }
    }
}

extension SurveyLinkStatus {
    var json: JSONValue {
        [
            "survey_id": .string(surveyId), "enabled": .bool(link != nil), "url": JSONValue(url),
            "created_at": JSONValue(link.map { Timestamp.iso8601($0.createdAt) }), "created_by": JSONValue(link?.createdBy),
            "responses": ["partial": JSONValue(partial), "completed": JSONValue(completed)],
        ]
    }
}
