/// The upload of an import broke off: the client went away or stopped sending.
struct ImportInterrupted: Error {
    let reason: String
    let underlying: any Error
}

/// Imports customers or orders from CSV, streamed: rows are parsed as bytes arrive and written in transactions of
/// `batchSize` rows. A bad row is listed with its number and reason and does not stop the import; good rows are kept.
public struct ImportService: Sendable {
    let deps: CoreDependencies
    public var batchSize = 500

    public init(_ deps: CoreDependencies) { self.deps = deps }

    /// Starts a job record, so its progress can be read while the rows stream in.
    public func start(_ principal: Principal?, workspaceId: String, kind: ImportJob.Kind) async throws -> ImportJob {
        try principal?.require(Permission.writeData.leastRole)
        let job = ImportJob(id: deps.ids.next(), workspaceId: workspaceId, kind: kind, createdBy: principal?.actor.id,
                            createdAt: deps.clock.nowMillis)
        let audit = AuditLog(deps)
        try await deps.store.write { repos in
            try await repos.imports.insert(job)
            try await audit.record(in: repos, workspaceId: workspaceId, actor: principal?.actor ?? .system, action: .importStarted,
                                   targetType: "import", targetId: job.id, details: ["kind": kind.rawValue])
        }
        return job
    }

    /// Reads the CSV from `chunks` into `job`; returns the finished job. A job never stays `running`: when the upload
    /// breaks off or the database fails, it ends `failed` with the reason (rows written before stay imported) and the
    /// error is rethrown for the caller to answer.
    public func run<Chunks: AsyncSequence>(_ job: ImportJob, chunks: Chunks) async throws -> ImportJob
    where Chunks.Element: Sequence<UInt8> {
        var job = job
        do {
            try await read(&job, chunks: chunks)
        } catch let error as ImportInterrupted {
            try await fail(job, because: error.reason)
            throw error.underlying
        } catch {
            let reason = (error as? RapportError)?.message ?? "an error on our side"
            try await fail(job, because: "The import stopped: \(reason). Rows imported before it are kept.")
            throw error
        }
        job.finishedAt = deps.clock.nowMillis
        try await save(job)
        await refreshStatistics()
        return job
    }

    /// An import can multiply a workspace's rows: plans chosen from the old statistics may no longer fit.
    private func refreshStatistics() async {
        try? await deps.store.refreshStatistics()
    }

    /// Parses and writes every row; a file that cannot be read as CSV sets the job `failed` without throwing.
    private func read<Chunks: AsyncSequence>(_ job: inout ImportJob, chunks: Chunks) async throws
    where Chunks.Element: Sequence<UInt8> {
        var parser = CSVParser()
        var header: ImportColumns?
        var pending: [CSVParser.Record] = []
        do {
            var iterator = chunks.makeAsyncIterator()
            while let chunk = try await Self.nextChunk(&iterator) {
                for record in try parser.feed(chunk) {
                    if header == nil {
                        header = try ImportColumns(kind: job.kind, header: record)
                        continue
                    }
                    pending.append(record)
                    if pending.count >= batchSize {
                        let cut = ImportColumns.batchCut(pending, columns: header!)
                        if cut > 0 {
                            try await process(&job, Array(pending[..<cut]), columns: header!)
                            pending.removeFirst(cut)
                        }
                    }
                }
            }
            do {
                if let last = try parser.finish() {
                    if header == nil { header = try ImportColumns(kind: job.kind, header: last) } else { pending.append(last) }
                }
            } catch CSVParser.ParseError.unterminatedQuote(let row) {
                guard header != nil else {
                    throw RapportError.invalid("header", "A quoted field of the header row is never closed.")
                }
                job.rowsRejected += 1
                job.rowsRead += 1
                append(&job, ImportRejection(row: row, reason: "A quoted field is never closed; the rest of the file was ignored."))
            }
            guard let columns = header else { throw RapportError.invalid("file", "The file is empty; it needs a header row.") }
            if !pending.isEmpty { try await process(&job, pending, columns: columns) }
            job.status = .completed
        } catch let error as CSVFieldTooLarge {
            job.status = .failed
            job.failure = "Row \(error.record) has a field over \(error.limit) bytes; the import stopped there."
        } catch let error as RapportError where error.kind == .validation {
            job.status = .failed
            job.failure = error.message
        }
    }

    /// The next chunk of the upload; a failure to read it (the client went away, or stopped sending) is an
    /// `ImportInterrupted`, told apart from failures of the import itself.
    private static func nextChunk<Iterator: AsyncIteratorProtocol>(_ iterator: inout Iterator) async throws -> Iterator.Element? {
        do {
            return try await iterator.next()
        } catch {
            let reason = (error as? RapportError).map { " (\($0.message))" } ?? ""
            throw ImportInterrupted(reason: "The upload stopped before the end of the file\(reason); rows read before it are kept.",
                                    underlying: error)
        }
    }

    /// Records the job as failed, even when the request that ran it is being cancelled.
    private func fail(_ job: ImportJob, because reason: String) async throws {
        var job = job
        job.status = .failed
        job.failure = reason
        job.finishedAt = deps.clock.nowMillis
        let service = self
        try await Task {
            try await service.save(job)
            await service.refreshStatistics()
        }.value
    }

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

    /// Records the job's progress; a finished job also emits `import.completed` (failed ones too, with their reason).
    private func save(_ job: ImportJob) async throws {
        let events = WebhookEvents(deps)
        try await deps.store.write { repos in
            try await repos.imports.update(job)
            guard let finishedAt = job.finishedAt else { return }
            try await events.emit(in: repos, workspaceId: job.workspaceId, type: .importCompleted, data: [
                "import_id": .string(job.id), "type": .string(job.kind.rawValue), "status": .string(job.status.rawValue),
                "rows_read": JSONValue(job.rowsRead), "rows_imported": JSONValue(job.rowsImported),
                "rows_rejected": JSONValue(job.rowsRejected), "failure": JSONValue(job.failure),
                "finished_at": .string(Timestamp.iso8601(finishedAt)),
            ])
        }
    }

    private func append(_ job: inout ImportJob, _ rejection: ImportRejection) {
        if job.rejections.count < ImportJob.maxListedRejections { job.rejections.append(rejection) }
    }

    /// Validates and writes one batch in one transaction, then records progress.
    private func process(_ job: inout ImportJob, _ records: [CSVParser.Record], columns: ImportColumns) async throws {
        var rows: [(Int, ImportRow)] = []
        for record in records {
            job.rowsRead += 1
            do {
                rows.append((record.number, try columns.row(record, receivedAt: deps.clock.nowMillis)))
            } catch {
                job.rowsRejected += 1
                append(&job, ImportRejection(row: record.number, reason: error.message, field: error.details["field"]))
            }
        }
        let groups = ImportColumns.groupOrders(rows)
        let deps = self.deps
        let workspaceId = job.workspaceId
        let outcomes = try await deps.store.write { repos -> [(Int, RapportError?)] in
            try await repos.customers.lockIdentities(workspaceId: workspaceId)
            var writer = ProfileWriter(workspaceId: workspaceId, repos: repos, deps: deps)
            try await writer.lookUp(groups.flatMap { $0.row.identifiers })
            var outcomes: [(Int, RapportError?)] = []
            for group in groups {
                do {
                    try await Self.record(group.row, with: &writer)
                    outcomes += group.rows.map { ($0, nil) }
                } catch let error as RapportError {
                    outcomes += group.rows.map { ($0, error) }
                }
            }
            try await writer.flush()
            return outcomes
        }
        for (row, error) in outcomes {
            if let error {
                job.rowsRejected += 1
                append(&job, ImportRejection(row: row, reason: error.message, field: error.details["field"]))
            } else {
                job.rowsImported += 1
            }
        }
        try await save(job)
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
