import Hummingbird
import RapportCore

extension APIRoutes {
    /// `/goals…`: CX goals with their progress; read by every member, set by admins. `/me/digest`: the signed-in
    /// member's email digest (goals, headline metrics, overdue follow-ups).
    func addGoalRoutes(goals: CXGoalService, digests: DigestService) {
        get("me/digest", least: Permission.readData.leastRole) { _, _, principal in
            JSONResponse.make(try await digests.setting(principal).json)
        }
        put("me/digest", least: Permission.readData.leastRole) { request, context, principal in
            let body = try await JSONBody.read(request, context: context, allowed: ["frequency"])
            let frequency = try Validation.oneOf(try body.string("frequency"), field: "frequency", as: DigestFrequency.self)
            return JSONResponse.make(try await digests.setFrequency(principal, frequency).json)
        }
        post("me/digest/send", least: Permission.readData.leastRole) { _, _, principal in
            let email = try await digests.sendNow(principal)
            return JSONResponse.make(["email_id": .string(email.id), "state": .string(email.state.rawValue), "to": .string(email.recipient)],
                                     status: .accepted)
        }
        get("goals", least: Permission.readData.leastRole) { _, _, principal in
            JSONResponse.make(["data": .array(try await goals.list(principal).map(\.json))])
        }
        post("goals", least: Permission.manageWorkspace.leastRole) { request, context, principal in
            let body = try await JSONBody.read(request, context: context, allowed: CXGoalService.fields)
            return JSONResponse.make(try await goals.create(principal, fields: body.fields, ip: context.remoteIP).json, status: .created)
        }
        get("goals/:goal_id", least: Permission.readData.leastRole) { _, context, principal in
            JSONResponse.make(try await goals.get(principal, id: try context.id("goal_id", of: "goal")).json)
        }
        patch("goals/:goal_id", least: Permission.manageWorkspace.leastRole) { request, context, principal in
            let id = try context.id("goal_id", of: "goal")
            let body = try await JSONBody.read(request, context: context, allowed: CXGoalService.fields)
            return JSONResponse.make(try await goals.update(principal, id: id, fields: body.fields, ip: context.remoteIP).json)
        }
        delete("goals/:goal_id", least: Permission.manageWorkspace.leastRole) { _, context, principal in
            try await goals.delete(principal, id: try context.id("goal_id", of: "goal"), ip: context.remoteIP)
            return JSONResponse.noContent
        }
    }
}

extension GoalReport {
    var json: JSONValue {
        ["id": .string(goal.id), "name": .string(goal.name), "metric": .string(goal.metric.rawValue), "target": .number(goal.target),
         "due_date": .string(goal.dueDate), "survey_id": JSONValue(goal.surveyId), "segment_id": JSONValue(goal.segmentId),
         "window_days": JSONValue(goal.windowDays), "created_at": .string(Timestamp.iso8601(goal.createdAt)),
         "updated_at": .string(Timestamp.iso8601(goal.updatedAt)),
         "progress": ["status": .string(progress.status.rawValue), "estimate": progress.estimate.map(\.json) ?? .null,
                      "gap": progress.gap.map(JSONValue.number) ?? .null, "from": .string(Timestamp.iso8601(progress.from)),
                      "to": .string(Timestamp.iso8601(progress.to)), "days_left": JSONValue(progress.daysLeft),
                      "problem": JSONValue(progress.problem)]]
    }
}

extension DigestSetting {
    var json: JSONValue {
        ["frequency": .string(frequency.rawValue), "next_run_at": nextRunAt.map { .string(Timestamp.iso8601($0)) } ?? .null,
         "time_zone": .string(timeZone)]
    }
}
