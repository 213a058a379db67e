/// A company (B2B account), from Segment `group` calls: `groupId` and traits.
public struct Account: Sendable, Equatable {
    public var id: String
    public var workspaceId: String
    public var groupId: String
    public var traits: [String: JSONValue]
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(id: String, workspaceId: String, groupId: String, traits: [String: JSONValue], createdAt: Int64,
                updatedAt: Int64) {
        self.id = id
        self.workspaceId = workspaceId
        self.groupId = groupId
        self.traits = traits
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public var name: String? { traits["name"]?.stringValue }
}
