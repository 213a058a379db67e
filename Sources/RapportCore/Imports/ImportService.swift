import Foundation

/// The upload of an import broke off: the client went away or stopped sending.
struct ImportInterrupted: Error {
    let reason: String
    let underlying: any Error
}

/// Another runner saved this import's progress since this one read it (it re-claimed the job after this runner's
/// lease expired, or finished it): this runner stops, and the transaction it was in rolls back.
struct ImportTakenOver: Error, CustomStringConvertible {
    var description: String { "another worker saved this import's progress first" }
}

/// Imports customers or orders from CSV in two steps. The upload (`upload`) stores the file in the database in pieces
/// of `chunkBytes` as it arrives and checks its header, then queues an `import.run` job in the transaction that marks
/// the upload complete. The job (`resume`) reads the stored pieces through the same CSV parser and writes the rows in
/// transactions of `batchSize`, each with the import's progress, so a job re-run after a crash continues after the
/// last saved row. A bad row is listed with its number and reason and does not stop the import; good rows are kept.
public struct ImportService: Sendable {
    let deps: CoreDependencies
    public var batchSize = 500
    /// The size of the stored pieces of an uploaded file (the last one may be shorter).
    public var chunkBytes = 1 << 20

    /// The job kind that runs a stored import.
    public static let jobKind = "import.run"
    /// An upload that stored nothing for this long is taken for dead (its server was killed) by the sweep.
    public static let abandonedAfterMillis: Int64 = 3_600_000

    public init(_ deps: CoreDependencies) { self.deps = deps }

    // MARK: - Upload

    /// Receives an import's file: records the import (`uploading`), stores the bytes as they arrive and checks the
    /// header as soon as it is complete. At the end of the file, one transaction makes the import `queued` and
    /// enqueues its `import.run` job. A file without a usable header (or empty) ends the import `failed` and returns
    /// it, with nothing queued. An upload that breaks off (the client went away or stopped sending) or a database
    /// failure ends it `failed` and rethrows. A failed import's stored pieces are deleted.
    /// A `survey_responses` import names the survey it fills (`surveyId`), `404` when it is not in the workspace.
    public func upload<Chunks: AsyncSequence>(_ principal: Principal?, workspaceId: String, kind: ImportJob.Kind,
                                              surveyId: String? = nil, chunks: Chunks) async throws -> ImportJob
    where Chunks.Element: Sequence<UInt8> {
        try principal?.require(Permission.writeData.leastRole)
        let survey = try await self.survey(for: kind, surveyId: surveyId, workspaceId: workspaceId)
        let job = try await start(principal, workspaceId: workspaceId, kind: kind, surveyId: survey?.id)
        do {
            if let refusal = try await store(job, survey: survey, chunks: chunks) {
                return try await fail(job, because: refusal)
            }
            return try await enqueue(job)
        } catch let error as ImportInterrupted {
            _ = try await fail(job, because: error.reason)
            throw error.underlying
        } catch {
            let reason = (error as? RapportError)?.message ?? "an error on our side"
            _ = try await fail(job, because: "The upload stopped: \(reason). Nothing was imported.")
            throw error
        }
    }

    /// Records a new import, `uploading`, so it is listed while its file arrives.
    func start(_ principal: Principal?, workspaceId: String, kind: ImportJob.Kind, surveyId: String?) async throws -> ImportJob {
        let job = ImportJob(id: deps.ids.next(), workspaceId: workspaceId, kind: kind, surveyId: surveyId, status: .uploading,
                            createdBy: principal?.actor.id, createdAt: deps.clock.nowMillis)
        let audit = AuditLog(deps)
        try await deps.store.write { repos in
            try await repos.imports.insert(job)
            try await audit.record(in: repos, workspaceId: workspaceId, actor: principal?.actor ?? .system, action: .importStarted,
                                   targetType: "import", targetId: job.id, details: ["kind": kind.rawValue])
        }
        return job
    }

    /// Stores the file in pieces of `chunkBytes`; returns why the file cannot be imported when its header is
    /// unusable (the rest of the body is then not read), nil when it is stored whole.
    func store<Chunks: AsyncSequence>(_ job: ImportJob, survey: Survey?, chunks: Chunks) async throws -> String?
    where Chunks.Element: Sequence<UInt8> {
        var parser = CSVParser()
        var headerChecked = false
        var piece: [UInt8] = []
        var sequence = 0
        let size = chunkBytes
        do {
            var iterator = chunks.makeAsyncIterator()
            while let chunk = try await Self.nextChunk(&iterator) {
                let bytes = Array(chunk)
                // Only the header is parsed here, 64 KiB at a time, so a large first chunk is not parsed whole.
                var offset = 0
                while !headerChecked, offset < bytes.count {
                    let end = min(offset + 65_536, bytes.count)
                    if let header = try parser.feed(bytes[offset..<end]).first {
                        _ = try ImportColumns(kind: job.kind, header: header, survey: survey)
                        headerChecked = true
                    }
                    offset = end
                }
                var start = 0
                if !piece.isEmpty {
                    let take = min(size - piece.count, bytes.count)
                    piece += bytes[0..<take]
                    start = take
                    if piece.count == size {
                        try await storeChunk(job, sequence: sequence, bytes: piece)
                        sequence += 1
                        piece = []
                    }
                }
                while bytes.count - start >= size {
                    try await storeChunk(job, sequence: sequence, bytes: Array(bytes[start..<(start + size)]))
                    sequence += 1
                    start += size
                }
                piece += bytes[start...]
            }
            if !headerChecked {
                do {
                    guard let header = try parser.finish() else { return "The file is empty; it needs a header row." }
                    _ = try ImportColumns(kind: job.kind, header: header, survey: survey)
                } catch CSVParser.ParseError.unterminatedQuote {
                    return "A quoted field of the header row is never closed."
                }
            }
            if !piece.isEmpty { try await storeChunk(job, sequence: sequence, bytes: piece) }
            return nil
        } catch let error as CSVFieldTooLarge {
            return "Row \(error.record) has a field over \(error.limit) bytes; the import stopped there."
        } catch let error as RapportError where error.kind == .validation {
            return error.message
        }
    }

    func storeChunk(_ job: ImportJob, sequence: Int, bytes: [UInt8]) async throws {
        let (store, now) = (deps.store, deps.clock.nowMillis)
        // In its own task: a request cancelled mid-write must not leave a transaction half done.
        try await Task {
            try await store.write {
                try await $0.imports.insertChunk(workspaceId: job.workspaceId, importId: job.id, sequence: sequence,
                                                 bytes: bytes, at: now)
            }
        }.value
    }

    /// Marks the upload complete and queues its job, in one transaction.
    func enqueue(_ job: ImportJob) async throws -> ImportJob {
        var queued = job
        queued.status = .queued
        let (deps, next) = (self.deps, queued)
        let stored = try await Task {
            try await deps.store.write { repos -> Bool in
                guard try await repos.imports.update(next, from: job) else { return false }
                // Below the default priority: an import may run for minutes, emails and webhooks due meanwhile go first.
                _ = try await repos.jobs.enqueue(Job(id: deps.ids.next(), kind: Self.jobKind,
                                                     payload: (["import_id": .string(job.id)] as JSONValue).jsonText,
                                                     workspaceId: job.workspaceId, now: deps.clock.nowMillis, priority: -1,
                                                     idempotencyKey: job.id))
                return true
            }
        }.value
        guard stored else {
            throw RapportError(.conflict, code: "import_abandoned",
                               message: "The upload stored nothing for too long and was ended; send the file again.")
        }
        return queued
    }

    /// The next chunk of the upload; a failure to read it (the client went away, or stopped sending) is an
    /// `ImportInterrupted`, told apart from failures of the import itself.
    static func nextChunk<Iterator: AsyncIteratorProtocol>(_ iterator: inout Iterator) async throws -> Iterator.Element? {
        do {
            return try await iterator.next()
        } catch {
            let reason = (error as? RapportError).map { " (\($0.message))" } ?? ""
            throw ImportInterrupted(reason: "The upload stopped before the end of the file\(reason); nothing was imported.",
                                    underlying: error)
        }
    }

    // MARK: - Reading

    public func find(_ principal: Principal, id: String) async throws -> ImportJob {
        try principal.require(Permission.readData.leastRole)
        let workspaceId = principal.workspaceId
        guard let job = try await deps.store.read({ try await $0.imports.find(workspaceId: workspaceId, id: id) }) else {
            throw RapportError.notFound("import")
        }
        return job
    }

    public func list(_ principal: Principal, page: PageRequest) async throws -> Page<ImportJob> {
        try principal.require(Permission.readData.leastRole)
        let workspaceId = principal.workspaceId
        return try await deps.store.read { try await $0.imports.list(workspaceId: workspaceId, page: page) }
    }

}
