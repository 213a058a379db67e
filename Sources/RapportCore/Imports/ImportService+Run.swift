import Foundation

extension ImportService {
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
    func readRows(_ job: inout ImportJob) async throws -> ImportJob {
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

    func storedChunk(_ job: ImportJob, sequence: Int) async throws -> [UInt8]? {
        let (workspaceId, id) = (job.workspaceId, job.id)
        return try await deps.store.read {
            try await $0.imports.chunk(workspaceId: workspaceId, importId: id, sequence: sequence)
        }
    }

    /// Validates and writes one batch, and saves the import's progress (its counts, rejections and last row) in the
    /// same transaction; `job` takes the saved state only once that commits. A runner whose import moved on meanwhile
    /// (`ImportTakenOver`) writes nothing.
    func process(_ job: inout ImportJob, _ records: [CSVParser.Record], columns: ImportColumns) async throws {
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

    static func append(_ job: inout ImportJob, _ rejection: ImportRejection) {
        if job.rejections.count < ImportJob.maxListedRejections { job.rejections.append(rejection) }
    }

    /// Writes one row (or the rows of one order) for the person it names, every change marked `import`.
    static func record(_ row: ImportRow, with writer: inout ProfileWriter) async throws {
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
