/// A CSV import and how far it got.
public struct ImportJob: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable { case customers, orders }
    public enum Status: String, Sendable, CaseIterable { case running, completed, failed }

    public var id: String
    public var workspaceId: String
    public var kind: Kind
    public var status: Status
    public var rowsRead: Int
    public var rowsImported: Int
    public var rowsRejected: Int
    /// The first rejected rows (up to `maxListedRejections`), each with its row number and reason.
    public var rejections: [ImportRejection]
    public var failure: String?
    public var createdBy: String?
    public var createdAt: Int64
    public var finishedAt: Int64?

    public static let maxListedRejections = 1000

    public init(id: String, workspaceId: String, kind: Kind, status: Status = .running, rowsRead: Int = 0, rowsImported: Int = 0,
                rowsRejected: Int = 0, rejections: [ImportRejection] = [], failure: String? = nil, createdBy: String?,
                createdAt: Int64, finishedAt: Int64? = nil) {
        self.id = id
        self.workspaceId = workspaceId
        self.kind = kind
        self.status = status
        self.rowsRead = rowsRead
        self.rowsImported = rowsImported
        self.rowsRejected = rowsRejected
        self.rejections = rejections
        self.failure = failure
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

/// Stores import jobs and their progress.
public protocol ImportRepository: Sendable {
    func insert(_ job: ImportJob) async throws
    func update(_ job: ImportJob) async throws
    func find(workspaceId: String, id: String) async throws -> ImportJob?
    func list(workspaceId: String, page: PageRequest) async throws -> Page<ImportJob>
}
