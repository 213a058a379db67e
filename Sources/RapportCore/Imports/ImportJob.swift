/// A CSV import and how far it got.
public struct ImportJob: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case customers, orders
        /// Historic responses to one survey (`surveyId`).
        case surveyResponses = "survey_responses"

        /// Whether an import of this kind fills one survey, named at upload.
        public var needsSurvey: Bool { self == .surveyResponses }
    }
    /// `uploading` (the file is being stored) → `queued` (stored; an `import.run` job waits) → `running` →
    /// `completed`, or `failed` from any of them.
    public enum Status: String, Sendable, CaseIterable {
        case uploading, queued, running, completed, failed

        /// The import will change no more.
        public var isFinished: Bool { self == .completed || self == .failed }
    }

    public var id: String
    public var workspaceId: String
    public var kind: Kind
    /// The survey a `survey_responses` import fills.
    public var surveyId: String?
    public var status: Status
    public var rowsRead: Int
    public var rowsImported: Int
    public var rowsRejected: Int
    /// The first rejected rows (up to `maxListedRejections`), each with its row number and reason.
    public var rejections: [ImportRejection]
    public var failure: String?
    /// The file's row number (header = 1) of the last row whose outcome is saved, in the transaction that wrote it;
    /// a job that resumes after a crash skips rows up to it.
    public var lastRow: Int
    public var createdBy: String?
    public var createdAt: Int64
    public var finishedAt: Int64?

    public static let maxListedRejections = 1000

    public init(id: String, workspaceId: String, kind: Kind, surveyId: String? = nil, status: Status = .uploading, rowsRead: Int = 0, rowsImported: Int = 0,
                rowsRejected: Int = 0, rejections: [ImportRejection] = [], failure: String? = nil, lastRow: Int = 0,
                createdBy: String?, createdAt: Int64, finishedAt: Int64? = nil) {
        self.id = id
        self.workspaceId = workspaceId
        self.kind = kind
        self.surveyId = surveyId
        self.status = status
        self.rowsRead = rowsRead
        self.rowsImported = rowsImported
        self.rowsRejected = rowsRejected
        self.rejections = rejections
        self.failure = failure
        self.lastRow = lastRow
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.finishedAt = finishedAt
    }
}

/// One row that was not imported.
public struct ImportRejection: Sendable, Equatable {
    /// The row's number in the file; the header is row 1.
    public var row: Int
    public var reason: String
    public var field: String?

    public init(row: Int, reason: String, field: String? = nil) {
        self.row = row
        self.reason = reason
        self.field = field
    }
}

/// Stores import jobs, their progress and their uploaded files.
public protocol ImportRepository: Sendable {
    func insert(_ job: ImportJob) async throws
    func update(_ job: ImportJob) async throws
    /// Saves `job` only if the stored import is still at `previous`'s status and last row: a runner that lost its
    /// job to another (an expired lease) gets `false` and must roll back what it wrote in the same transaction.
    func update(_ job: ImportJob, from previous: ImportJob) async throws -> Bool
    func find(workspaceId: String, id: String) async throws -> ImportJob?
    func list(workspaceId: String, page: PageRequest) async throws -> Page<ImportJob>

    /// Stores one piece of an import's uploaded file; `sequence` counts from 0.
    func insertChunk(workspaceId: String, importId: String, sequence: Int, bytes: [UInt8], at: Int64) async throws
    /// One stored piece of the file, nil past the last.
    func chunk(workspaceId: String, importId: String, sequence: Int) async throws -> [UInt8]?
    func deleteChunks(workspaceId: String, importId: String) async throws
    /// Imports still `uploading` whose last stored piece (or start, when none) is older than `before`: uploads whose
    /// server died, across every workspace, at most `limit`.
    func abandonedUploads(before: Int64, limit: Int) async throws -> [ImportJob]
}
