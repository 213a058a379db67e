import ArgumentParser
import Foundation
import RapportCore
import RapportRuntime

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import customers, orders or a survey's responses from a CSV file and wait for the result (bad rows are reported by number, good rows kept).")
    @Argument(help: "customers, orders or survey_responses") var kind: String
    @Argument(help: "The CSV file; the first row is the header.") var file: String
    @Option(help: "The workspace's name.") var workspace: String
    @Option(help: "The survey's id (survey_responses only).") var survey: String?
    @OptionGroup var db: DatabaseOption

    func run() async throws {
        try await runReportingErrors {
            let kind = try Validation.oneOf(kind, field: "kind", as: ImportJob.Kind.self)
            guard let handle = FileHandle(forReadingAtPath: file) else {
                throw RapportError(.notFound, code: "not_found", message: "Cannot read \(file).")
            }
            defer { try? handle.close() }
            var failed = false
            try await withCommandRuntime(db) { runtime in
                let services = runtime.services
                let target = try await services.workspaces.find(name: workspace)
                // Stored and queued as the API does; then this command waits for the import, running `import.run` jobs
                // itself meanwhile, so it finishes whether or not a server or worker runs on the database.
                let job = try await services.imports.upload(nil, workspaceId: target.id, kind: kind, surveyId: survey,
                                                            chunks: FileChunks(handle: handle))
                let done = job.status.isFinished ? job : try await runtime.waitForImport(workspaceId: target.id, id: job.id)
                for rejection in done.rejections {
                    print("row \(rejection.row): \(rejection.reason)")
                }
                if done.rowsRejected > done.rejections.count {
                    print("… and \(done.rowsRejected - done.rejections.count) more rejected rows")
                }
                if let failure = done.failure { print("failed: \(failure)") }
                print("import \(done.id): \(done.status.rawValue), \(done.rowsImported) imported, \(done.rowsRejected) rejected of \(done.rowsRead) rows")
                failed = done.status == .failed
            }
            if failed { throw ExitCode.failure }
        }
    }
}

/// A file read in 64 KiB chunks, so an import never holds the whole file in memory.
struct FileChunks: AsyncSequence {
    let handle: FileHandle

    struct AsyncIterator: AsyncIteratorProtocol {
        let handle: FileHandle
        mutating func next() async throws -> [UInt8]? {
            let data = try handle.read(upToCount: 64 * 1024) ?? Data()
            return data.isEmpty ? nil : [UInt8](data)
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(handle: handle) }
}
