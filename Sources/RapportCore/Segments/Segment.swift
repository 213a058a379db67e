/// A saved group of customers defined by a rule; membership is materialised and kept current.
public struct Segment: Sendable, Equatable {
    public var id: String
    public var workspaceId: String
    public var name: String
    public var description: String?
    public var rule: SegmentRule
    public var memberCount: Int
    public var createdAt: Int64
    public var updatedAt: Int64
    public var refreshedAt: Int64?

    public init(id: String, workspaceId: String, name: String, description: String?, rule: SegmentRule, memberCount: Int = 0,
                createdAt: Int64, updatedAt: Int64, refreshedAt: Int64? = nil) {
        self.id = id
        self.workspaceId = workspaceId
        self.name = name
        self.description = description
        self.rule = rule
        self.memberCount = memberCount
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.refreshedAt = refreshedAt
    }
}

/// The names a rule can test that come from the workspace's own data: traits seen on profiles, tracked events.
public struct SegmentFieldNames: Sendable, Equatable {
    public var traits: [String]
    public var events: [String]

    public init(traits: [String], events: [String]) {
        self.traits = traits
        self.events = events
    }
}

/// Segments, their members, and the bulk facts rules are evaluated on.
public protocol SegmentRepository: Sendable {
    func insert(_ segment: Segment) async throws
    func update(_ segment: Segment) async throws
    func delete(workspaceId: String, id: String) async throws
    func find(workspaceId: String, id: String) async throws -> Segment?
    func list(workspaceId: String, page: PageRequest) async throws -> Page<Segment>
    /// Every segment of one workspace, for the scheduled refresh.
    func all(workspaceId: String) async throws -> [Segment]
    /// The workspaces that have at least one segment.
    func workspaceIds() async throws -> [String]
    func memberIds(workspaceId: String, segmentId: String) async throws -> Set<String>
    /// The segments a customer is a member of, by name.
    func memberships(workspaceId: String, customerId: String) async throws -> [Segment]
    /// Adds the live profiles among `customerIds` that are not members yet; returns those added. A profile merged or
    /// erased since the rule was evaluated (outside the writing transaction) is skipped, not given a membership.
    @discardableResult
    func addMembers(workspaceId: String, segmentId: String, _ customerIds: [String], at: Int64) async throws -> [String]
    func removeMembers(workspaceId: String, segmentId: String, _ customerIds: [String]) async throws
    /// Facts of up to `limit` live customers with ids below `before` (newest first), with the event counts asked for.
    func facts(workspaceId: String, before: String?, limit: Int, events: Set<EventWindow>, now: Int64) async throws -> [CustomerFacts]
    /// Facts of the live customers among `customerIds` (automation conditions).
    func facts(workspaceId: String, customerIds: [String], events: Set<EventWindow>, now: Int64) async throws -> [CustomerFacts]
    /// Last order time, completed orders and revenue of every purchaser, for RFM quintiles.
    func purchasers(workspaceId: String) async throws -> [(lastOrderAt: Int64, orders: Int, revenue: Double)]
    /// The trait names found on the newest `profiles` live profiles, sorted (for the rule builder's field picker).
    func traitNames(workspaceId: String, profiles: Int) async throws -> [String]
    /// Up to `limit` distinct names of tracked events, sorted.
    func eventNames(workspaceId: String, limit: Int) async throws -> [String]
}
