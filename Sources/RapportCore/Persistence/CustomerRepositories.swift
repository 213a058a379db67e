/// Filters of the customer list.
public struct CustomerQuery: Sendable, Equatable {
    /// Full-text search over name, email, phone and identifiers.
    public var search: String?
    public var email: String?
    /// Only members of this segment.
    public var segmentId: String?
    public var accountId: String?

    public init(search: String? = nil, email: String? = nil, segmentId: String? = nil, accountId: String? = nil) {
        self.search = search
        self.email = email
        self.segmentId = segmentId
        self.accountId = accountId
    }
}

/// Profiles, their identifiers, trait history and merges.
public protocol CustomerRepository: Sendable {
    /// Serialises identity resolution within a workspace until the transaction ends, so two concurrent writers
    /// cannot both claim one identifier (PostgreSQL: an advisory transaction lock; SQLite's single writer already
    /// serialises).
    func lockIdentities(workspaceId: String) async throws
    func insert(_ customer: Customer) async throws
    func update(_ customer: Customer) async throws
    /// Inserts or updates many profiles in one statement per chunk.
    func upsert(_ customers: [Customer]) async throws
    func find(workspaceId: String, id: String) async throws -> Customer?
    func find(workspaceId: String, ids: [String]) async throws -> [Customer]
    func list(workspaceId: String, query: CustomerQuery, page: PageRequest) async throws -> Page<Customer>
    func count(workspaceId: String) async throws -> Int
    /// Which profile holds each of `identifiers` (only those found are returned).
    func owners(workspaceId: String, of identifiers: [Identifier]) async throws -> [Identifier: String]
    /// `owners`, and those profiles, in one query.
    func ownersWithProfiles(workspaceId: String, of identifiers: [Identifier]) async throws
        -> (owners: [Identifier: String], profiles: [Customer])
    /// Moves only the first/last-seen times of profiles that changed in nothing else (`id`, first, last).
    func updateSeen(workspaceId: String, _ seen: [(id: String, first: Int64, last: Int64)]) async throws
    func addIdentifiers(workspaceId: String, customerId: String, _ identifiers: [Identifier], at: Int64) async throws
    /// Adds identifiers of several profiles at once.
    func addIdentifiers(workspaceId: String, _ assignments: [(customerId: String, identifier: Identifier)], at: Int64) async throws
    func identifiers(workspaceId: String, customerId: String) async throws -> [Identifier]
    /// The stored user ids of profiles, by profile (one statement).
    func userIds(workspaceId: String, of customerIds: [String]) async throws -> [String: Set<String>]
    func removeIdentifier(workspaceId: String, _ identifier: Identifier) async throws
    /// Moves everything another feature keeps per customer (identifiers, timeline, orders, memberships, consent,
    /// trait history) from each merged profile to its survivor, as the store's registry of customer data says per
    /// table: `merges` in the order they happened (a survivor may be merged later in the list; its rows and those it
    /// received go to the last survivor). A fixed number of statements for a few hundred merges. The merged profiles'
    /// search entries are the caller's to remove (`removeSearch`).
    func reassign(workspaceId: String, _ merges: [(from: String, to: String)]) async throws
    /// Records merges (a fixed number of statements for any number).
    func recordMerges(_ merges: [CustomerMerge]) async throws
    func merges(workspaceId: String, customerId: String) async throws -> [CustomerMerge]
    /// Appends trait changes of several profiles (a fixed number of statements for any number); each profile's
    /// changes keep their order.
    func appendTraitHistory(workspaceId: String, _ changes: [(customerId: String, change: TraitChange)]) async throws
    func traitHistory(workspaceId: String, customerId: String, limit: Int) async throws -> [TraitChange]
    /// What a profile page shows besides `customer` itself: its identifiers, purchases, accounts, merges, consent
    /// history and latest `traitHistoryLimit` trait changes, as the separate reads above would return them (one
    /// statement).
    func profile(of customer: Customer, traitHistoryLimit: Int) async throws -> CustomerProfile
    /// Removes the search entries of profiles (merged away).
    func removeSearch(workspaceId: String, customerIds: [String]) async throws
    /// Rebuilds the search entries of profiles from their traits and identifiers (a fixed number of statements).
    func refreshSearch(workspaceId: String, customerIds: [String]) async throws
    /// Writes the search entries of profiles whose name, email, phone and identifier values are all known to the
    /// caller (profiles created in the same transaction), without reading them back.
    func writeSearch(workspaceId: String, _ entries: [(customerId: String, values: [String?])]) async throws
    /// Erases a person: profile and every row the store's registry of customer data lists (with the profiles merged
    /// into it), except orders, which stay with no customer.
    func erase(workspaceId: String, customerId: String) async throws
    /// The sections an export must have, one per kind of data the store keeps on a person (from the same registry).
    var exportSections: [String] { get }
}

/// The timeline every feature appends to.
public protocol ActivityRepository: Sendable {
    /// Which of `messageIds` are already stored.
    func existingMessageIds(workspaceId: String, _ messageIds: [String]) async throws -> Set<String>
    func insert(_ activities: [Activity]) async throws
    func timeline(workspaceId: String, customerId: String, kinds: Set<ActivityKind>?, page: PageRequest) async throws -> Page<Activity>
    /// How many `track` events named `name` a customer has between `since` and now (for segments).
    func eventCount(workspaceId: String, customerId: String, name: String, since: Int64?) async throws -> Int
}

/// Orders and purchase statistics.
public protocol OrderRepository: Sendable {
    func find(workspaceId: String, orderId: String) async throws -> Order?
    func insert(_ order: Order) async throws
    func markRefunded(workspaceId: String, id: String, at: Int64) async throws
    func orders(workspaceId: String, customerId: String, page: PageRequest) async throws -> Page<Order>
    func stats(workspaceId: String, customerId: String) async throws -> PurchaseStats
    func repeatPurchaseRate(workspaceId: String) async throws -> RepeatPurchaseRate
}

/// Companies and who belongs to them.
public protocol AccountRepository: Sendable {
    func find(workspaceId: String, groupId: String) async throws -> Account?
    func find(workspaceId: String, id: String) async throws -> Account?
    func upsert(_ account: Account) async throws
    func addMember(workspaceId: String, accountId: String, customerId: String, at: Int64) async throws
    func list(workspaceId: String, page: PageRequest) async throws -> Page<Account>
    func accounts(workspaceId: String, customerId: String) async throws -> [Account]
    func memberCount(workspaceId: String, accountId: String) async throws -> Int
    /// The accounts (id and name) of these customers.
    func links(workspaceId: String, customerIds: [String]) async throws -> [CustomerAccountLink]
}

/// The consent ledger: append-only.
public protocol ConsentRepository: Sendable {
    func append(_ record: ConsentRecord) async throws
    func history(workspaceId: String, customerId: String) async throws -> [ConsentRecord]
}

extension CustomerRepository {
    /// Appends one profile's trait changes, in their order.
    public func appendTraitHistory(workspaceId: String, customerId: String, _ changes: [TraitChange]) async throws {
        try await appendTraitHistory(workspaceId: workspaceId, changes.map { (customerId, $0) })
    }
}
