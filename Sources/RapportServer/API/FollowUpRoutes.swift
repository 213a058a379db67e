import Hummingbird
import RapportCore

extension APIRoutes {
    /// `/follow-ups…`: the cases unhappy survey responses opened; read by every member, worked by agents and up.
    func addFollowUpRoutes(followUps: FollowUpService, clock: WallClock) {
        get("follow-ups", least: Permission.readData.leastRole) { request, _, principal in
            var query = FollowUpQuery(status: try request.enumParameter("status", as: FollowUpStatus.self),
                                      teamId: try request.optionalUUIDParameter("team"),
                                      surveyId: try request.optionalUUIDParameter("survey_id"),
                                      customerId: try request.optionalUUIDParameter("customer_id"))
            try FollowUpService.applyOwnerFilter(request.uri.queryParameters.get("owner").map { String($0) }, principal: principal,
                                                 to: &query)
            switch request.uri.queryParameters.get("overdue").map({ String($0) }) ?? "" {
            case "", "false": break
            case "true": query.dueBefore = clock.nowMillis
            default:
                throw RapportError(.badRequest, code: "invalid_parameter", message: "overdue must be true or false.",
                                   details: ["field": "overdue"])
            }
            let now = clock.nowMillis
            return JSONResponse.page(try await followUps.list(principal, query: query, page: try request.pageRequest())) { $0.json(now: now) }
        }

        get("follow-ups/:follow_up_id", least: Permission.readData.leastRole) { _, context, principal in
            let detail = try await followUps.get(principal, id: try context.id("follow_up_id", of: "follow-up case"))
            return JSONResponse.make(detail.json(now: clock.nowMillis))
        }

        patch("follow-ups/:follow_up_id", least: Permission.writeData.leastRole) { request, context, principal in
            let id = try context.id("follow_up_id", of: "follow-up case")
            let body = try await JSONBody.read(request, context: context, allowed: FollowUpService.fields)
            _ = try await followUps.update(principal, id: id, fields: body.fields)
            return JSONResponse.make(try await followUps.get(principal, id: id).json(now: clock.nowMillis))
        }

        post("follow-ups/:follow_up_id/notes", least: Permission.writeData.leastRole) { request, context, principal in
            let id = try context.id("follow_up_id", of: "follow-up case")
            let body = try await JSONBody.read(request, context: context, allowed: ["text"])
            return JSONResponse.make(try await followUps.addNote(principal, id: id, text: body.fields["text"]).json, status: .created)
        }
    }
}

extension FollowUpCase {
    func json(now: Int64) -> JSONValue {
        [
            "id": .string(id), "survey_id": .string(surveyId), "response_id": .string(responseId),
            "customer_id": JSONValue(customerId), "owner_id": JSONValue(ownerId), "status": .string(status.rawValue),
            "outcome": JSONValue(outcome), "score": JSONValue(score), "band": JSONValue(band?.rawValue),
            "overdue": .bool(isOverdue(at: now)), "due_at": .string(Timestamp.iso8601(dueAt)),
            "created_at": .string(Timestamp.iso8601(createdAt)), "updated_at": .string(Timestamp.iso8601(updatedAt)),
            "closed_at": JSONValue(closedAt.map(Timestamp.iso8601)), "resurvey_invitation_id": JSONValue(resurveyInvitationId),
        ]
    }
}

extension FollowUpNote {
    var json: JSONValue {
        ["id": .string(id), "author_id": .string(authorId), "author": .string(authorLabel), "text": .string(text),
         "created_at": .string(Timestamp.iso8601(createdAt))]
    }
}

extension FollowUpService.Detail {
    func json(now: Int64) -> JSONValue {
        guard case .object(var fields) = followUp.json(now: now) else { return followUp.json(now: now) }
        fields["survey_name"] = JSONValue(surveyName)
        fields["owner_email"] = JSONValue(owner?.user.email)
        fields["notes"] = .array(notes.map(\.json))
        fields["response"] = response.map(\.json) ?? .null
        fields["resurvey"] = resurvey.map { invitation in
            ["invitation_id": .string(invitation.id), "survey_id": .string(invitation.surveyId),
             "status": .string(invitation.status.rawValue), "send_at": .string(Timestamp.iso8601(invitation.sendAt)),
             "score": JSONValue(resurveyResponse?.score), "band": JSONValue(resurveyResponse?.band?.rawValue),
             "response_id": JSONValue(resurveyResponse?.id)]
        } ?? .null
        return .object(fields)
    }
}
