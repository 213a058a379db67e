import Hummingbird
import RapportCore

extension APIRoutes {
    /// `/automation/rules…`: the workspace's automation rules and their runs; reading for every member, changing for
    /// admins.
    func addAutomationRoutes(automation: AutomationService) {
        get("automation/rules", least: Permission.readData.leastRole) { request, _, principal in
            JSONResponse.page(try await automation.list(principal, page: try request.pageRequest())) { $0.json }
        }

        post("automation/rules", least: Permission.manageWorkspace.leastRole) { request, context, principal in
            let body = try await JSONBody.read(request, context: context, allowed: AutomationRule.fields)
            let rule = try await automation.create(principal, fields: body.fields, ip: context.remoteIP)
            return JSONResponse.make(rule.json, status: .created)
        }

        get("automation/rules/:rule_id", least: Permission.readData.leastRole) { _, context, principal in
            JSONResponse.make(try await automation.get(principal, id: try context.id("rule_id", of: "automation rule")).json)
        }

        patch("automation/rules/:rule_id", least: Permission.manageWorkspace.leastRole) { request, context, principal in
            let id = try context.id("rule_id", of: "automation rule")
            let body = try await JSONBody.read(request, context: context, allowed: AutomationRule.fields)
            return JSONResponse.make(try await automation.update(principal, id: id, fields: body.fields, ip: context.remoteIP).json)
        }

        delete("automation/rules/:rule_id", least: Permission.manageWorkspace.leastRole) { _, context, principal in
            try await automation.delete(principal, id: try context.id("rule_id", of: "automation rule"), ip: context.remoteIP)
            return JSONResponse.noContent
        }

        post("automation/rules/:rule_id/pause", least: Permission.manageWorkspace.leastRole) { _, context, principal in
            let id = try context.id("rule_id", of: "automation rule")
            return JSONResponse.make(try await automation.setEnabled(principal, id: id, enabled: false, ip: context.remoteIP).json)
        }

        post("automation/rules/:rule_id/resume", least: Permission.manageWorkspace.leastRole) { _, context, principal in
            let id = try context.id("rule_id", of: "automation rule")
            return JSONResponse.make(try await automation.setEnabled(principal, id: id, enabled: true, ip: context.remoteIP).json)
        }

        get("automation/rules/:rule_id/runs", least: Permission.readData.leastRole) { request, context, principal in
            let id = try context.id("rule_id", of: "automation rule")
            return JSONResponse.page(try await automation.runs(principal, ruleId: id, page: try request.pageRequest())) { $0.json }
        }
    }
}

extension AutomationRule {
    var json: JSONValue {
        [
            "id": .string(id), "name": .string(name), "enabled": .bool(enabled), "trigger": trigger.json,
            "condition": condition?.json ?? .null, "delay_seconds": JSONValue(delaySeconds),
            "actions": .array(actions.map(\.json)), "max_runs_per_customer": JSONValue(maxRunsPerCustomer),
            "customer_window_hours": JSONValue(customerWindowHours), "max_runs_per_hour": JSONValue(maxRunsPerHour),
            "created_at": .string(Timestamp.iso8601(createdAt)), "updated_at": .string(Timestamp.iso8601(updatedAt)),
        ]
    }
}
