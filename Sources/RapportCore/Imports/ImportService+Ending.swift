import Foundation

extension ImportService {
    // MARK: - Ending

    /// Saves a finished import, emits `import.completed` and deletes its stored file, in one transaction, only if the
    /// stored import is still at `previous`; returns whether it was saved. So the event is emitted once.
    func finish(_ job: ImportJob, from previous: ImportJob) async throws -> Bool {
        let (store, events) = (deps.store, WebhookEvents(deps))
        return try await Task {
            try await store.write { repos -> Bool in
                guard try await repos.imports.update(job, from: previous) else { return false }
                try await repos.imports.deleteChunks(workspaceId: job.workspaceId, importId: job.id)
                try await events.emit(in: repos, workspaceId: job.workspaceId, type: .importCompleted, data: [
                    "import_id": .string(job.id), "type": .string(job.kind.rawValue), "status": .string(job.status.rawValue),
                    "rows_read": JSONValue(job.rowsRead), "rows_imported": JSONValue(job.rowsImported),
                    "rows_rejected": JSONValue(job.rowsRejected), "failure": JSONValue(job.failure),
                    "finished_at": .string(Timestamp.iso8601(job.finishedAt ?? 0)),
                ])
                return true
            }
        }.value
    }

    /// `job` ended `failed` with `reason`.
    func failed(_ job: ImportJob, because reason: String) -> ImportJob {
        var failed = job
        failed.status = .failed
        failed.failure = reason
        failed.finishedAt = deps.clock.nowMillis
        return failed
    }

    /// Ends `job` (as last saved) `failed` with `reason`; returns it as it now is.
    func fail(_ job: ImportJob, because reason: String) async throws -> ImportJob {
        let failed = failed(job, because: reason)
        guard try await finish(failed, from: job) else {
            let (workspaceId, id) = (job.workspaceId, job.id)
            return try await deps.store.read { try await $0.imports.find(workspaceId: workspaceId, id: id) } ?? failed
        }
        if failed.rowsImported > 0 { await refreshStatistics() }
        return failed
    }

    /// Ends an unfinished import `failed` with `reason` (its last attempt failed, or its job was given up); a finished
    /// one is left alone.
    public func abandon(workspaceId: String, id: String, because reason: String) async throws {
        guard let job = try await deps.store.read({ try await $0.imports.find(workspaceId: workspaceId, id: id) }),
              !job.status.isFinished else { return }
        _ = try await fail(job, because: reason)
    }

    /// Ends the uploads whose server died while receiving them (nothing stored for `abandonedAfterMillis`): `failed`,
    /// with their stored pieces deleted. Returns how many it ended.
    public func endAbandonedUploads() async throws -> Int {
        let before = deps.clock.nowMillis - Self.abandonedAfterMillis
        let abandoned = try await deps.store.read { try await $0.imports.abandonedUploads(before: before, limit: 100) }
        var ended = 0
        for job in abandoned {
            let reason = "The upload stopped before the end of the file (the server receiving it stopped); nothing was imported."
            if try await finish(failed(job, because: reason), from: job) { ended += 1 }
        }
        return ended
    }

    /// An import can multiply a workspace's rows: plans chosen from the old statistics may no longer fit.
    func refreshStatistics() async {
        try? await deps.store.refreshStatistics()
    }

}
