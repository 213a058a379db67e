import Foundation
import RapportCore

/// The people in the workspace, and the form to add one.
public struct TeamPage: PageModel {
    public static let template = "team"
    public struct Row: Sendable {
        public let email: String
        public let name: String
        public let role: String
        public let teams: String
        public let joinedAt: DisplayDate
        public let lastLoginAt: DisplayDate?
    }

    /// A member as a checkbox of a team's form.
    public struct Choice: Sendable {
        public let userId: String
        public let label: String
        public let checked: Bool
        public let inputId: String
    }

    public struct Team: Sendable {
        public let id: String
        public let name: String
        public let memberLabels: String
        public let size: Int
        public let actionURL: String
        public let deleteURL: String
        public let choices: [Choice]
    }

    public let members: [Row]
    public let teams: [Team]
    /// The new-team form's checkboxes.
    public let newTeamChoices: [Choice]
    public let error: String?
    public let flash: String?

    public init(members: [Member], teams: [AgentTeam] = [], error: String?, flash: String?, timeZone: TimeZone = DisplayDate.utc) {
        func label(_ member: Member) -> String { member.user.name.map { "\($0) (\(member.user.email))" } ?? member.user.email }
        var teamsOf: [String: [String]] = [:]
        for team in teams { for id in team.memberIds { teamsOf[id, default: []].append(team.name) } }
        self.members = members.map {
            Row(email: $0.user.email, name: $0.user.name ?? "", role: $0.role.rawValue,
                teams: (teamsOf[$0.user.id] ?? []).joined(separator: ", "),
                joinedAt: DisplayDate(millis: $0.joinedAt, timeZone: timeZone),
                lastLoginAt: $0.user.lastLoginAt.map { DisplayDate(millis: $0, timeZone: timeZone) })
        }
        let labels = Dictionary(members.map { ($0.user.id, label($0)) }, uniquingKeysWith: { first, _ in first })
        self.teams = teams.map { team in
            Team(id: team.id, name: team.name,
                 memberLabels: team.memberIds.compactMap { labels[$0] }.joined(separator: ", "), size: team.memberIds.count,
                 actionURL: WebURL.team(team.id), deleteURL: WebURL.team(team.id) + "/delete",
                 choices: members.map { member in
                     Choice(userId: member.user.id, label: label(member), checked: team.memberIds.contains(member.user.id),
                            inputId: "team-\(team.id)-\(member.user.id)")
                 })
        }
        newTeamChoices = members.map { Choice(userId: $0.user.id, label: label($0), checked: false, inputId: "new-team-\($0.user.id)") }
        self.error = error
        self.flash = flash
    }
}

/// The workspace's API keys, the form for a new one, and a new key's secret the one time it is shown.
public struct ApiKeysPage: PageModel {
    public static let template = "api_keys"
    public struct Row: Sendable {
        public let name: String
        public let scope: String
        public let prefix: String
        public let createdAt: DisplayDate
        public let lastUsedAt: DisplayDate?
        public let revokedAt: DisplayDate?
        public let revokeURL: String
    }

    /// How to use a key just made: the tracking snippet for a `track` key, a curl call for every key.
    public struct Usage: Sendable {
        public let isTracking: Bool
        public let snippet: String?
        public let curl: String
    }

    public let keys: [Row]
    public let newSecret: String?
    public let usage: Usage?
    public let error: String?

    /// - Parameters:
    ///   - newScope: the scope of `newSecret`, which decides the examples shown with it.
    ///   - publicURL: where people and sites reach this server (`PUBLIC_URL`), used in the examples.
    public init(keys: [ApiKey], newSecret: String?, newScope: ApiKeyScope? = nil, publicURL: String = "",
                error: String?, timeZone: TimeZone = DisplayDate.utc) {
        self.keys = keys.map { key in
            Row(name: key.name, scope: key.scope.rawValue, prefix: key.prefix,
                createdAt: DisplayDate(millis: key.createdAt, timeZone: timeZone),
                lastUsedAt: key.lastUsedAt.map { DisplayDate(millis: $0, timeZone: timeZone) },
                revokedAt: key.revokedAt.map { DisplayDate(millis: $0, timeZone: timeZone) },
                revokeURL: WebURL.revokeKey(key.id))
        }
        self.newSecret = newSecret
        self.usage = newSecret.map { Self.usage(secret: $0, scope: newScope ?? .read, publicURL: publicURL) }
        self.error = error
    }

    static func usage(secret: String, scope: ApiKeyScope, publicURL: String) -> Usage {
        let base = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        guard scope == .track else {
            return Usage(isTracking: false, snippet: nil,
                         curl: "curl -H 'Authorization: Bearer \(secret)' '\(base)/api/v1/customers?limit=10'")
        }
        return Usage(
            isTracking: true,
            snippet: """
                <script src="\(base)/rapport.js" data-write-key="\(secret)"></script>
                <script>rapport.page();</script>
                """,
            curl: """
                curl -u '\(secret):' -H 'Content-Type: application/json' \\
                  -d '{"userId": "user-42", "event": "Signed Up", "properties": {"plan": "pro"}}' \\
                  \(base)/v1/track
                """)
    }
}

/// Who did what in the workspace, newest first, a page at a time.
public struct AuditLogPage: PageModel {
    public static let template = "audit_log"
    public struct Row: Sendable {
        public let occurredAt: DisplayDate
        public let actor: String
        /// The action in words ("Consent recorded"), with its code (`consent.recorded`) beside it.
        public let summary: String
        public let action: String
        public let target: String
        /// The target's page, for customers and segments.
        public let targetURL: String?
        public let ip: String
        public let details: [TimelineDetail]
    }

    public let entries: [Row]
    public let olderURL: String?

    public init(entries: Page<AuditEntry>, timeZone: TimeZone = DisplayDate.utc) {
        self.entries = entries.items.map { entry in
            Row(occurredAt: DisplayDate(millis: entry.occurredAt, timeZone: timeZone),
                actor: entry.actor.label ?? entry.actor.type.rawValue, summary: Self.words(entry.action), action: entry.action,
                target: [entry.targetType, entry.targetId].compactMap { $0 }.joined(separator: " "),
                targetURL: Self.url(type: entry.targetType, id: entry.targetId), ip: entry.ip ?? "",
                details: entry.details.sorted { $0.key < $1.key }
                    .map { TimelineDetail(key: $0.key, value: TimelineDetail.text(.string($0.value))) })
        }
        olderURL = entries.nextCursor.map { WebURL.auditLog(cursor: $0) }
    }

    /// "segment.created" → "Segment created", "api_key.revoked" → "Api key revoked" with "API" kept upper case.
    public static func words(_ action: String) -> String {
        let text = action.replacingOccurrences(of: ".", with: " ").replacingOccurrences(of: "_", with: " ")
            .replacingOccurrences(of: "api key", with: "API key").replacingOccurrences(of: "smtp", with: "SMTP")
        return text.prefix(1).uppercased() + text.dropFirst()
    }

    static func url(type: String?, id: String?) -> String? {
        guard let id else { return nil }
        switch type {
        case "customer": return WebURL.customer(id)
        case "segment": return WebURL.customers(segmentId: id)
        default: return nil
        }
    }
}

/// The workspace's own settings: its name and the time zone its dates are shown and its schedules run in.
public struct WorkspaceSettingsPage: PageModel {
    public static let template = "workspace_settings"
    public struct Zone: Sendable {
        public let value: String
        public let selected: Bool
    }

    public let name: String
    public let zones: [Zone]
    public let now: DisplayDate
    public let canEdit: Bool
    public let error: String?
    public let flash: String?
    /// The brand colour as typed (`#1f6feb`; empty: none) and what text on it will look like.
    public let brandColor: String
    public let brandContrast: String?

    public init(workspace: Workspace, nowMillis: Int64, canEdit: Bool, error: String?, flash: String?, brandColor typed: String? = nil) {
        name = workspace.name
        brandColor = typed ?? workspace.brandColor?.hex ?? ""
        brandContrast = workspace.brandColor.map { color in
            let ratio = (color.textContrast * 10).rounded() / 10
            return "Text on \(color.hex) is \(color.textHex == "#ffffff" ? "white" : "black"), a contrast of \(ratio):1 (WCAG AA asks 4.5:1)."
        }
        let known = Set(TimeZone.knownTimeZoneIdentifiers)
        zones = ((known.contains("UTC") ? [] : ["UTC"]) + known.sorted()).map { Zone(value: $0, selected: workspace.timeZone == $0) }
        now = DisplayDate(millis: nowMillis, timeZone: TimeZone(identifier: workspace.timeZone) ?? DisplayDate.utc)
        self.canEdit = canEdit
        self.error = error
        self.flash = flash
    }
}
