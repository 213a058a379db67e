/// A person's role in a workspace. Higher roles can do everything lower roles can.
public enum Role: String, Sendable, Codable, CaseIterable, Comparable {
    case owner, admin, agent, analyst

    /// 3 for owner down to 0 for analyst.
    public var rank: Int {
        switch self {
        case .owner: 3
        case .admin: 2
        case .agent: 1
        case .analyst: 0
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }

    /// True when this role meets `least`.
    public func satisfies(_ least: Role) -> Bool { self >= least }

    /// What the role may do, as listed by `GET /api/v1/me`.
    public var permissions: [Permission] {
        Permission.allCases.filter { satisfies($0.leastRole) }
    }
}

/// A named capability, each held from a least role upwards.
public enum Permission: String, Sendable, Codable, CaseIterable {
    case readData = "read_data"
    case writeData = "write_data"
    case manageUsers = "manage_users"
    case manageApiKeys = "manage_api_keys"
    case manageWorkspace = "manage_workspace"
    case readAuditLog = "read_audit_log"
    case manageOwners = "manage_owners"

    public var leastRole: Role {
        switch self {
        case .readData: .analyst
        case .writeData: .agent
        case .manageUsers, .manageApiKeys, .manageWorkspace, .readAuditLog: .admin
        case .manageOwners: .owner
        }
    }
}

/// What an API key is for. REST keys act with the role of their scope; `track` keys only send events.
public enum ApiKeyScope: String, Sendable, Codable, CaseIterable {
    case read, write, admin, track

    /// The role a REST key acts with; nil for tracking keys, which the REST API refuses.
    public var actingRole: Role? {
        switch self {
        case .read: .analyst
        case .write: .agent
        case .admin: .admin
        case .track: nil
        }
    }
}
