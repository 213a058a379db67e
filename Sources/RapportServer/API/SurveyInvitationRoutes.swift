import Hummingbird
import RapportCore

extension APIRoutes {
    /// `/surveys/{id}/invitations…` and `/survey-contact-rules`: asking customers to answer a survey (agents and up),
    /// reading the invitations and their stats (analysts and up), and the workspace's contact rules (admins change them).
    func addSurveyInvitationRoutes(invitations: SurveyInvitationService) {
        post("surveys/:survey_id/invitations", least: Permission.writeData.leastRole) { request, context, principal in
            let id = try context.id("survey_id", of: "survey")
            let body = try await JSONBody.read(request, context: context,
                                               allowed: ["customer_ids", "segment_id", "attributes", "delay_seconds"])
            let delay = try body.fields["delay_seconds"].flatMap { $0.isNull ? nil : $0 }
                .map { (raw) throws(RapportError) in try Validation.integer(raw, "delay_seconds", 0...SurveyInvitationService.maxDelaySeconds) } ?? 0
            let scheduled = try await invitations.invite(principal, surveyId: id, customerIds: try body.strings("customer_ids"),
                                                         segmentId: try body.optionalString("segment_id"),
                                                         attributes: body.fields["attributes"], delaySeconds: delay)
            let shown = scheduled.prefix(SurveyInvitationService.maxCustomersPerRequest)
            return JSONResponse.make(["scheduled": JSONValue(scheduled.count), "invitations": .array(shown.map(\.json))],
                                     status: .accepted)
        }

        get("surveys/:survey_id/invitations", least: Permission.readData.leastRole) { request, context, principal in
            let id = try context.id("survey_id", of: "survey")
            let page = try await invitations.list(principal, surveyId: id, customerId: try request.optionalUUIDParameter("customer_id"),
                                                  status: try request.enumParameter("status", as: SurveyInvitation.Status.self),
                                                  page: try request.pageRequest())
            return JSONResponse.page(page) { $0.json }
        }

        get("surveys/:survey_id/invitations/:invitation_id", least: Permission.readData.leastRole) { _, context, principal in
            let id = try context.id("survey_id", of: "survey")
            let invitationId = try context.id("invitation_id", of: "invitation")
            return JSONResponse.make(try await invitations.get(principal, surveyId: id, id: invitationId).json)
        }

        get("surveys/:survey_id/invitation-stats", least: Permission.readData.leastRole) { _, context, principal in
            let id = try context.id("survey_id", of: "survey")
            let stats = try await invitations.stats(principal, surveyId: id)
            var statuses: [String: JSONValue] = [:]
            for status in SurveyInvitation.Status.allCases { statuses[status.rawValue] = JSONValue(stats.byStatus[status.rawValue] ?? 0) }
            var reasons: [String: JSONValue] = [:]
            for reason in SurveySuppression.allCases { reasons[reason.rawValue] = JSONValue(stats.byReason[reason.rawValue] ?? 0) }
            return JSONResponse.make(["by_status": .object(statuses), "suppressed_by_reason": .object(reasons)])
        }

        get("survey-contact-rules", least: Permission.readData.leastRole) { _, _, principal in
            JSONResponse.make(try await invitations.contactRules(principal).json)
        }

        put("survey-contact-rules", least: Permission.manageWorkspace.leastRole) { request, context, principal in
            let body = try await JSONBody.read(request, context: context, allowed: SurveyContactRules.keys)
            return JSONResponse.make(try await invitations.updateContactRules(principal, fields: body.fields, ip: context.remoteIP).json)
        }
    }
}

extension SurveyInvitation {
    var json: JSONValue {
        [
            "id": .string(id), "survey_id": .string(surveyId), "customer_id": .string(customerId), "channel": .string(channel),
            "status": .string(status.rawValue), "reason": JSONValue(reason), "reason_text": JSONValue(reasonText),
            "attributes": .object(attributes.mapValues { .string($0) }), "source": .string(source),
            "send_at": .string(Timestamp.iso8601(sendAt)), "sent_at": JSONValue(sentAt.map(Timestamp.iso8601)),
            "email_id": JSONValue(emailId), "reminders_sent": JSONValue(remindersSent),
            "responded_at": JSONValue(respondedAt.map(Timestamp.iso8601)), "created_at": .string(Timestamp.iso8601(createdAt)),
            "updated_at": .string(Timestamp.iso8601(updatedAt)),
        ]
    }
}
