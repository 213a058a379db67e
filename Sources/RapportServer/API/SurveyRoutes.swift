import Hummingbird
import RapportCore

extension APIRoutes {
    /// `/surveys…`: the workspace's surveys and their versions; reading for every member, building and changing their
    /// status for admins.
    func addSurveyRoutes(surveys: SurveyService, responses: SurveyResponseService) {
        get("surveys", least: Permission.readData.leastRole) { request, _, principal in
            let status = try request.enumParameter("status", as: SurveyStatus.self)
            return JSONResponse.page(try await surveys.list(principal, status: status, page: try request.pageRequest())) { $0.json }
        }

        post("surveys", least: Permission.manageWorkspace.leastRole) { request, context, principal in
            let body = try await JSONBody.read(request, context: context, allowed: SurveyService.fields)
            let survey = try await surveys.create(principal, fields: body.fields, ip: context.remoteIP)
            return JSONResponse.make(survey.json, status: .created)
        }

        get("surveys/:survey_id", least: Permission.readData.leastRole) { _, context, principal in
            JSONResponse.make(try await surveys.get(principal, id: try context.id("survey_id", of: "survey")).json)
        }

        patch("surveys/:survey_id", least: Permission.manageWorkspace.leastRole) { request, context, principal in
            let id = try context.id("survey_id", of: "survey")
            let body = try await JSONBody.read(request, context: context, allowed: SurveyService.fields)
            return JSONResponse.make(try await surveys.update(principal, id: id, fields: body.fields, ip: context.remoteIP).json)
        }

        delete("surveys/:survey_id", least: Permission.manageWorkspace.leastRole) { _, context, principal in
            try await surveys.delete(principal, id: try context.id("survey_id", of: "survey"), ip: context.remoteIP)
            return JSONResponse.noContent
        }

        for (action, status) in [("activate", SurveyStatus.active), ("pause", .paused), ("close", .closed)] {
            post("surveys/:survey_id/\(action)", least: Permission.manageWorkspace.leastRole) { _, context, principal in
                let id = try context.id("survey_id", of: "survey")
                return JSONResponse.make(try await surveys.setStatus(principal, id: id, to: status, ip: context.remoteIP).json)
            }
        }

        post("surveys/:survey_id/responses", least: Permission.writeData.leastRole) { request, context, principal in
            let id = try context.id("survey_id", of: "survey")
            let body = try await JSONBody.read(request, context: context,
                                               allowed: SurveyResponseService.fields.union(["customer_id", "user_id", "email", "submitted_at"]))
            let (customerId, identifiers) = try body.customerReference()
            let submittedAt = try body.optionalTimestamp("submitted_at")
            var fields = body.fields
            for key in ["customer_id", "user_id", "email", "submitted_at"] { fields[key] = nil }
            let response = try await responses.record(principal, surveyId: id, customerId: customerId,
                                                      identifiers: identifiers, submittedAt: submittedAt, fields: fields)
            return JSONResponse.make(response.json, status: .created)
        }

        get("surveys/:survey_id/responses", least: Permission.readData.leastRole) { request, context, principal in
            let query = try request.surveyResponseQuery(surveyId: try context.id("survey_id", of: "survey"))
            return JSONResponse.page(try await responses.list(principal, query: query, page: try request.pageRequest())) { $0.json }
        }

        // The same filters as a CSV file, streamed page by page.
        get("surveys/:survey_id/responses.csv", least: Permission.readData.leastRole) { request, context, principal in
            let id = try context.id("survey_id", of: "survey")
            let export = try await responses.export(principal, query: try request.surveyResponseQuery(surveyId: id))
            return SurveyResponseDownload.response(export, surveyId: id)
        }

        get("surveys/:survey_id/responses/:response_id", least: Permission.readData.leastRole) { _, context, principal in
            let id = try context.id("survey_id", of: "survey")
            let responseId = try context.id("response_id", of: "response")
            return JSONResponse.make(try await responses.get(principal, surveyId: id, id: responseId).json)
        }

        get("surveys/:survey_id/versions/:version", least: Permission.readData.leastRole) { _, context, principal in
            let id = try context.id("survey_id", of: "survey")
            guard let raw = context.parameters.get("version"), let number = Int(raw), number >= 1, number <= 1_000_000 else {
                throw RapportError.notFound("survey version")
            }
            return JSONResponse.make(try await surveys.version(principal, id: id, version: number).json)
        }
    }
}

extension Survey {
    var json: JSONValue {
        [
            "id": .string(id), "name": .string(name), "status": .string(status.rawValue), "version": JSONValue(version),
            "languages": .array(definition.languages.map { .string($0) }), "questions": .array(definition.questions.map(\.json)),
            "settings": settings.json, "created_at": .string(Timestamp.iso8601(createdAt)),
            "updated_at": .string(Timestamp.iso8601(updatedAt)),
        ]
    }
}

extension SurveyResponse {
    var json: JSONValue {
        [
            "id": .string(id), "survey_id": .string(surveyId), "version": JSONValue(version), "customer_id": JSONValue(customerId),
            "invitation_id": JSONValue(invitationId), "channel": .string(channel), "language": .string(language),
            "answers": .object(answers), "score": JSONValue(score), "band": JSONValue(band?.rawValue),
            "attributes": .object(attributes.mapValues { .string($0) }), "status": .string(status.rawValue),
            "submitted_at": JSONValue(submittedAt.map(Timestamp.iso8601)), "created_at": .string(Timestamp.iso8601(createdAt)),
            "updated_at": .string(Timestamp.iso8601(updatedAt)),
        ]
    }
}

extension SurveyVersion {
    var json: JSONValue {
        [
            "survey_id": .string(surveyId), "version": JSONValue(version), "published": .bool(published),
            "languages": .array(definition.languages.map { .string($0) }), "questions": .array(definition.questions.map(\.json)),
            "created_at": .string(Timestamp.iso8601(createdAt)),
        ]
    }
}
