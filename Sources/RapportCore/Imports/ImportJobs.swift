import Foundation

/// `import.run`: runs one stored import (its id in the payload), enqueued in the transaction that completed its upload.
/// Idempotent: each batch of rows commits with the import's last written row, so a re-run (after a crash, a lost lease
/// or a failed commit of its completion) skips the rows already written and goes on with the counts, and a finished
/// import is left alone; `import.completed` is emitted in the transaction that finishes it, once.
public struct ImportRunHandler: JobHandler {
    let imports: ImportService
    public var kind: String { ImportService.jobKind }

    public init(_ imports: ImportService) { self.imports = imports }

    public func run(_ job: Job) async throws {
        guard let workspaceId = job.workspaceId, let id = JSONValue.parse(job.payload)?["import_id"]?.stringValue else {
            throw PermanentJobError("import.run needs a workspace and an import_id")
        }
        try await imports.resume(workspaceId: workspaceId, id: id, finalAttempt: job.attempts >= job.maxAttempts)
    }

    /// Every attempt died with its worker (a file that crashes or hangs the import): the import ends `failed`.
    public func gaveUp(_ job: Job, reason: String) async throws {
        guard let workspaceId = job.workspaceId, let id = JSONValue.parse(job.payload)?["import_id"]?.stringValue else { return }
        try await imports.abandon(workspaceId: workspaceId, id: id,
                                  because: "The import stopped: \(reason) (the server stopped while running it each time). Rows imported before it are kept.")
    }
}

/// `imports.sweep`: ends the uploads whose server died while receiving them (`ImportService.endAbandonedUploads`),
/// enqueued by the `imports.sweep` system schedule. Idempotent: an upload is ended by a compare-and-set on its status.
public struct ImportSweepHandler: JobHandler {
    public static let kind = "imports.sweep"
    /// The system schedule: hourly, at minute 17 (off the hour, when other cron jobs pile up).
    public static let scheduleKey = "imports.sweep"
    public static let cron = "17 * * * *"

    let imports: ImportService
    public var kind: String { Self.kind }

    public init(_ imports: ImportService) { self.imports = imports }

    public func run(_ job: Job) async throws {
        _ = try await imports.endAbandonedUploads()
    }
}
