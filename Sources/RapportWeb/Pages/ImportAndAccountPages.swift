import Foundation
import RapportCore

/// Summary of one CSV import, as both import pages show it.
public struct ImportSummary: Sendable {
    public let url: String
    public let type: String
    public let status: String
    public let failure: String?
    public let rowsRead: Int
    public let rowsImported: Int
    public let rowsRejected: Int
    public let createdAt: DisplayDate
    public let finishedAt: DisplayDate?
    /// Still uploading, queued or running: its page follows the progress.
    public let isActive: Bool
    /// What the import is doing, in words, while it is not finished.
    public let activity: String?

    public init(_ job: ImportJob, timeZone: TimeZone) {
        url = WebURL.importJob(job.id)
        type = job.kind.rawValue
        status = job.status.rawValue
        isActive = !job.status.isFinished
        activity = switch job.status {
        case .uploading: "The file is being received."
        case .queued: "The file is stored and waits for a worker to import it."
        case .running: "Rows are being imported."
        case .completed, .failed: nil
        }
        failure = job.status == .failed ? (job.failure ?? "unknown reason") : nil
        rowsRead = job.rowsRead
        rowsImported = job.rowsImported
        rowsRejected = job.rowsRejected
        createdAt = DisplayDate(millis: job.createdAt, timeZone: timeZone)
        finishedAt = job.finishedAt.map { DisplayDate(millis: $0, timeZone: timeZone) }
    }
}

/// The workspace's imports and the upload form.
public struct ImportsPage: PageModel {
    public static let template = "imports"
    public struct Kind: Sendable {
        public let value: String
        public let selected: Bool
    }

    public let imports: [ImportSummary]
    public let kinds: [Kind]
    public let canWrite: Bool
    public let error: String?

    public init(imports: [ImportJob], selectedKind: String, canWrite: Bool, error: String?,
                timeZone: TimeZone = DisplayDate.utc) {
        self.imports = imports.map { ImportSummary($0, timeZone: timeZone) }
        // A survey's responses are imported from the survey's page, which names the survey.
        kinds = ImportJob.Kind.allCases.filter { !$0.needsSurvey }.map { Kind(value: $0.rawValue, selected: $0.rawValue == selectedKind) }
        self.canWrite = canWrite
        self.error = error
    }
}

/// One import's progress, or its result with its rejected rows.
public struct ImportPage: PageModel {
    public static let template = "import"
    public struct Rejection: Sendable {
        public let row: Int
        public let field: String
        public let reason: String
    }

    public let job: ImportSummary
    public let rejections: [Rejection]
    public let hasRejections: Bool
    /// Rejected rows beyond those kept for the list; nil when every one is listed.
    public let moreRejections: Int?
    /// "1 more rejected row is not listed.", "5 more rejected rows are not listed."; nil when every one is listed.
    public let moreRejectionsText: String?

    public init(job: ImportJob, timeZone: TimeZone = DisplayDate.utc) {
        self.job = ImportSummary(job, timeZone: timeZone)
        rejections = job.rejections.map { Rejection(row: $0.row, field: $0.field ?? "", reason: $0.reason) }
        hasRejections = !rejections.isEmpty
        moreRejections = job.rowsRejected > job.rejections.count ? job.rowsRejected - job.rejections.count : nil
        moreRejectionsText = moreRejections.map { more in
            "\(Plural.count(more, "more rejected row", "more rejected rows")) \(more == 1 ? "is" : "are") not listed."
        }
    }
}

/// Accounts (companies, from `group` calls), a page at a time.
public struct AccountsPage: PageModel {
    public static let template = "accounts"
    public struct Row: Sendable {
        public let url: String
        public let name: String
        public let groupId: String
        public let plan: String
        public let industry: String
        public let updatedAt: DisplayDate
    }

    public let accounts: [Row]
    public let olderURL: String?

    public init(found: Page<Account>, timeZone: TimeZone = DisplayDate.utc) {
        accounts = found.items.map { account in
            Row(url: WebURL.account(account.id), name: account.name ?? account.groupId, groupId: account.groupId,
                plan: account.traits["plan"]?.stringValue ?? "", industry: account.traits["industry"]?.stringValue ?? "",
                updatedAt: DisplayDate(millis: account.updatedAt, timeZone: timeZone))
        }
        olderURL = found.nextCursor.map { WebURL.accounts(cursor: $0) }
    }
}

/// One account: its traits and members.
public struct AccountPage: PageModel {
    public static let template = "account"
    public struct Summary: Sendable {
        public let name: String
        public let groupId: String
        public let memberCount: Int
        /// "member" or "members", after the count.
        public let membersWord: String
        public let createdAt: DisplayDate
        public let updatedAt: DisplayDate
    }

    public struct Member: Sendable {
        public let url: String
        public let name: String
        public let email: String
        public let lastSeenAt: DisplayDate
    }

    public let account: Summary
    public let traits: [CustomerPage.Trait]
    public let members: [Member]
    public let olderURL: String?

    public init(account: Account, memberCount: Int, members: Page<Customer>, timeZone: TimeZone = DisplayDate.utc) {
        self.account = Summary(name: account.name ?? account.groupId, groupId: account.groupId, memberCount: memberCount,
                               membersWord: Plural.word(memberCount, "member"),
                               createdAt: DisplayDate(millis: account.createdAt, timeZone: timeZone),
                               updatedAt: DisplayDate(millis: account.updatedAt, timeZone: timeZone))
        traits = account.traits.sorted { $0.key < $1.key }
            .map { CustomerPage.Trait(key: $0.key, value: $0.value.stringValue ?? $0.value.jsonText) }
        self.members = members.items.map { customer in
            Member(url: WebURL.customer(customer.id), name: customer.displayName, email: customer.email ?? "",
                   lastSeenAt: DisplayDate(millis: customer.lastSeenAt, timeZone: timeZone))
        }
        olderURL = members.nextCursor.map { WebURL.account(account.id, cursor: $0) }
    }
}
