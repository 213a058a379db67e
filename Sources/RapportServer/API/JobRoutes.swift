import Hummingbird
import RapportCore

extension APIRoutes {
    /// `/jobs…`: the workspace's background jobs for its admins (queue depth, dead jobs, retry, cancel).
    func addJobRoutes(jobs: JobService) {
        get("jobs", least: .admin) { request, _, principal in
            let state = try request.enumParameter("state", as: JobState.self)
            let kind = request.uri.queryParameters.get("kind").map { String($0) }.flatMap { $0.isEmpty ? nil : $0 }
            return JSONResponse.page(try await jobs.list(principal, state: state, kind: kind, page: try request.pageRequest())) { $0.json }
        }

        get("jobs/summary", least: .admin) { _, _, principal in
            let counts = try await jobs.summary(principal)
            let totals = Dictionary(uniqueKeysWithValues: JobState.allCases.map { state in
                (state.rawValue, JSONValue(counts.filter { $0.state == state }.reduce(0) { $0 + $1.count }))
            })
            return JSONResponse.make([
                "by_state": .object(totals),
                "by_kind": .array(counts.map { ["kind": .string($0.kind), "state": .string($0.state.rawValue), "count": JSONValue($0.count)] }),
            ])
        }

        get("schedules", least: .admin) { _, _, principal in
            let zone = principal.workspace.timeZone
            return JSONResponse.make(["data": .array(try await jobs.schedules(principal).map { $0.json(workspaceZone: zone) })])
        }

        get("jobs/:job_id", least: .admin) { _, context, principal in
            JSONResponse.make(try await jobs.get(principal, id: try context.id("job_id", of: "job")).json)
        }

        post("jobs/:job_id/retry", least: .admin) { _, context, principal in
            JSONResponse.make(try await jobs.retry(principal, id: try context.id("job_id", of: "job"), ip: context.remoteIP).json)
        }

        post("jobs/:job_id/cancel", least: .admin) { _, context, principal in
            JSONResponse.make(try await jobs.cancel(principal, id: try context.id("job_id", of: "job"), ip: context.remoteIP).json)
        }
    }
}

extension Job {
    /// The job as the API shows it; the payload as the JSON it is (a string if it is not JSON).
    var json: JSONValue {
        [
            "id": .string(id), "kind": .string(kind), "state": .string(state.rawValue),
            "payload": JSONValue.parse(payload) ?? .string(payload), "priority": JSONValue(priority),
            "attempts": JSONValue(attempts), "max_attempts": JSONValue(maxAttempts), "last_error": JSONValue(lastError),
            "idempotency_key": JSONValue(idempotencyKey), "run_at": .string(Timestamp.iso8601(runAt)),
            "lease_expires_at": JSONValue(leaseExpiresAt.map(Timestamp.iso8601)),
            "created_at": .string(Timestamp.iso8601(createdAt)), "updated_at": .string(Timestamp.iso8601(updatedAt)),
            "finished_at": JSONValue(finishedAt.map(Timestamp.iso8601)),
        ]
    }
}

extension Schedule {
    /// The schedule as the API shows it; `time_zone` is the zone it runs in (the workspace's when it names none; UTC
    /// for system schedules).
    func json(workspaceZone: String) -> JSONValue {
        [
            "key": .string(key), "kind": .string(kind), "scope": .string(workspaceId == nil ? "system" : "workspace"),
            "cron": .string(cron), "time_zone": .string(timeZone ?? (workspaceId == nil ? "UTC" : workspaceZone)),
            "enabled": .bool(enabled), "next_run_at": .string(Timestamp.iso8601(nextRunAt)),
            "last_run_at": JSONValue(lastRunAt.map(Timestamp.iso8601)), "last_error": JSONValue(lastError),
        ]
    }
}
