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
    private func start(_ principal: Principal?, workspaceId: String, kind: ImportJob.Kind, surveyId: String?) async throws -> ImportJob {
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
    private func store<Chunks: AsyncSequence>(_ job: ImportJob, survey: Survey?, chunks: Chunks) async throws -> String?
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

    private func storeChunk(_ job: ImportJob, sequence: Int, bytes: [UInt8]) async throws {
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
    private func enqueue(_ job: ImportJob) async throws -> ImportJob {
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
    private static func nextChunk<Iterator: AsyncIteratorProtocol>(_ iterator: inout Iterator) async throws -> Iterator.Element? {
        do {
            return try await iterator.next()
        } catch {
            let reason = (error as? RapportError).map { " (\($0.message))" } ?? ""
            throw ImportInterrupted(reason: "The upload stopped before the end of the file\(reason); nothing was imported.",
                                    underlying: error)
        }
    }

    // MARK: - The job

    /// Runs a queued import from its stored file, or continues one whose runner died (the `import.run` job): rows up
    /// to the import's `lastRow` were written before and are skipped; the others are written `batchSize` at a time,
    /// each batch in one transaction with the import's progress. Safe to run again at any point: a finished import
    /// is left alone. On the job's final attempt, a failure ends the import `failed` (rows written before are kept)
    /// before it is rethrown.
    public func resume(workspaceId: String, id: String, finalAttempt: Bool = false) async throws {
        guard var job = try await deps.store.read({ try await $0.imports.find(workspaceId: workspaceId, id: id) }) else {
            return  // the workspace was deleted meanwhile
        }
        switch job.status {
        case .completed, .failed:
            return
        case .uploading:
            throw PermanentJobError("import \(id) has not finished uploading")
        case .queued:
            var started = job
            started.status = .running
            let (store, queued, running) = (deps.store, job, started)
            guard try await Task(operation: { try await store.write { try await $0.imports.update(running, from: queued) } }).value
            else { throw ImportTakenOver() }
            job = running
        case .running:
            break
        }
        do {
            let finished = try await readRows(&job)
            guard try await finish(finished, from: job) else { throw ImportTakenOver() }
        } catch let error where finalAttempt && !(error is ImportTakenOver) && !(error is CancellationError) {
            let reason = (error as? RapportError)?.message ?? "an error on our side"
            try await abandon(workspaceId: workspaceId, id: id,
                              because: "The import stopped: \(reason). Rows imported before it are kept.")
            throw error
        }
        await refreshStatistics()
    }

    /// Reads the stored file and writes the rows after `job.lastRow`, saving progress into `job` with each batch;
    /// returns the finished import to save (completed, or failed when the file breaks off as CSV).
    private func readRows(_ job: inout ImportJob) async throws -> ImportJob {
        var parser = CSVParser()
        var header: ImportColumns?
        var pending: [CSVParser.Record] = []
        var ending: (rejection: ImportRejection?, failure: String?) = (nil, nil)
        do {
            // The survey as it is now: its latest version's questions (a deleted draft fails the import).
            let survey = try await self.survey(for: job.kind, surveyId: job.surveyId, workspaceId: job.workspaceId)
            var sequence = 0
            while let chunk = try await storedChunk(job, sequence: sequence) {
                sequence += 1
                for record in try parser.feed(chunk) {
                    guard let columns = header else {
                        header = try ImportColumns(kind: job.kind, header: record, survey: survey)
                        continue
                    }
                    guard record.number > job.lastRow else { continue }  // written before the job was interrupted
                    pending.append(record)
                    if pending.count >= batchSize {
                        let cut = ImportColumns.batchCut(pending, columns: columns)
                        if cut > 0 {
                            try await process(&job, Array(pending[..<cut]), columns: columns)
                            pending.removeFirst(cut)
                        }
                    }
                }
                try Task.checkCancellation()
            }
            do {
                if let last = try parser.finish() {
                    if header == nil {
                        header = try ImportColumns(kind: job.kind, header: last, survey: survey)
                    } else if last.number > job.lastRow {
                        pending.append(last)
                    }
                }
            } catch CSVParser.ParseError.unterminatedQuote(let row) {
                guard header != nil else {
                    throw RapportError.invalid("header", "A quoted field of the header row is never closed.")
                }
                ending.rejection = ImportRejection(row: row, reason: "A quoted field is never closed; the rest of the file was ignored.")
            }
            guard let columns = header else { throw RapportError.invalid("file", "The file is empty; it needs a header row.") }
            if !pending.isEmpty { try await process(&job, pending, columns: columns) }
        } catch let error as CSVFieldTooLarge {
            ending.failure = "Row \(error.record) has a field over \(error.limit) bytes; the import stopped there."
        } catch let error as RapportError where error.kind == .validation || error.kind == .notFound {
            ending.failure = error.kind == .notFound ? "The survey no longer exists." : error.message
        }
        var finished = job
        if let rejection = ending.rejection {
            finished.rowsRejected += 1
            finished.rowsRead += 1
            Self.append(&finished, rejection)
        }
        finished.status = ending.failure == nil ? .completed : .failed
        finished.failure = ending.failure
        finished.finishedAt = deps.clock.nowMillis
        return finished
    }

    private func storedChunk(_ job: ImportJob, sequence: Int) async throws -> [UInt8]? {
        let (workspaceId, id) = (job.workspaceId, job.id)
        return try await deps.store.read {
            try await $0.imports.chunk(workspaceId: workspaceId, importId: id, sequence: sequence)
        }
    }

    /// Validates and writes one batch, and saves the import's progress (its counts, rejections and last row) in the
    /// same transaction; `job` takes the saved state only once that commits. A runner whose import moved on meanwhile
    /// (`ImportTakenOver`) writes nothing.
    private func process(_ job: inout ImportJob, _ records: [CSVParser.Record], columns: ImportColumns) async throws {
        var next = job
        var rows: [(Int, ImportRow)] = []
        for record in records {
            next.rowsRead += 1
            do {
                rows.append((record.number, try columns.row(record, receivedAt: deps.clock.nowMillis)))
            } catch {
                next.rowsRejected += 1
                Self.append(&next, ImportRejection(row: record.number, reason: error.message, field: error.details["field"]))
            }
        }
        next.lastRow = records.last?.number ?? job.lastRow
        let groups = ImportColumns.groupOrders(rows)
        let (deps, previous, counted) = (self.deps, job, next)
        // In its own task: cancelling the job (shutdown, a lost lease) must not interrupt a transaction midway.
        job = try await Task {
            try await deps.store.write { repos -> ImportJob in
                try await repos.customers.lockIdentities(workspaceId: previous.workspaceId)
                var writer = ProfileWriter(workspaceId: previous.workspaceId, repos: repos, deps: deps)
                try await writer.lookUp(groups.flatMap { $0.row.identifiers })
                var saved = counted
                for group in groups {
                    do {
                        if let response = group.row.response, let survey = columns.survey {
                            try await SurveyResponseImport.record(response, of: group.row, survey: survey, with: &writer)
                        } else {
                            try await Self.record(group.row, with: &writer)
                        }
                        saved.rowsImported += group.rows.count
                    } catch let error as RapportError {
                        for row in group.rows {
                            saved.rowsRejected += 1
                            Self.append(&saved, ImportRejection(row: row, reason: error.message, field: error.details["field"]))
                        }
                    }
                }
                try await writer.flush()
                guard try await repos.imports.update(saved, from: previous) else { throw ImportTakenOver() }
                return saved
            }
        }.value
    }

    // MARK: - Ending

    /// Saves a finished import, emits `import.completed` and deletes its stored file, in one transaction, only if the
    /// stored import is still at `previous`; returns whether it was saved. So the event is emitted once.
    private func finish(_ job: ImportJob, from previous: ImportJob) async throws -> Bool {
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
    private func failed(_ job: ImportJob, because reason: String) -> ImportJob {
        var failed = job
        failed.status = .failed
        failed.failure = reason
        failed.finishedAt = deps.clock.nowMillis
        return failed
    }

    /// Ends `job` (as last saved) `failed` with `reason`; returns it as it now is.
    private func fail(_ job: ImportJob, because reason: String) async throws -> ImportJob {
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
    private func refreshStatistics() async {
        try? await deps.store.refreshStatistics()
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

    private static func append(_ job: inout ImportJob, _ rejection: ImportRejection) {
        if job.rejections.count < ImportJob.maxListedRejections { job.rejections.append(rejection) }
    }

    /// Writes one row (or the rows of one order) for the person it names, every change marked `import`.
    private static func record(_ row: ImportRow, with writer: inout ProfileWriter) async throws {
        let at = row.occurredAt ?? writer.deps.clock.nowMillis
        // Read what can fail before touching profiles, so a rejected row changes nothing.
        var order: ParsedOrder?
        if let given = row.order {
            if try await writer.repos.orders.find(workspaceId: writer.workspaceId, orderId: given.orderId) != nil {
                throw RapportError(.conflict, code: "order_exists", message: "Order \(given.orderId) was already imported.",
                                   details: ["field": "order_id"])
            }
            order = try Order.fromSegment(properties: given.properties)
        }
        let consent = try ConsentTraits.parse(row.traits["consent"])
        let customerId = try await writer.resolveOrCreate(identifiers: row.identifiers, at: at)
        var traits = row.traits
        traits["consent"] = nil
        try await writer.applyTraits(traits, to: customerId, at: at, source: "import")
        for (purpose, channel, status) in consent {
            try await writer.recordConsent(customerId: customerId, purpose: purpose, channel: channel, status: status,
                                           source: "import", at: at)
        }
        if let order, let stored = try await writer.recordOrder(order, for: customerId, at: at, source: "import") {
            writer.append(.order, name: stored.orderId, for: customerId, at: at, properties: stored.timelineProperties)
        } else if order == nil {
            writer.append(.traitsUpdated, name: "import", for: customerId, at: at, properties: .object(row.traits))
        }
    }
}
