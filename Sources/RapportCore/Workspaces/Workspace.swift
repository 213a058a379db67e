import Foundation

/// A tenant: every customer, survey and metric belongs to exactly one workspace.
public struct Workspace: Sendable, Equatable {
    public var id: String
    public var name: String
    public var createdAt: Int64

    public init(id: String, name: String, createdAt: Int64) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
    }

    /// The key that makes names unique regardless of case and surrounding space.
    public static func nameKey(_ name: String) -> String {
        name.trimmed.lowercased()
    }
}
