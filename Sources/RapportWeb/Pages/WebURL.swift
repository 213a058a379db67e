import Foundation

/// Every address of the browser UI, built in one place: pages link with these and handlers redirect with them, so a
/// route that moves is changed once. Query values are percent-encoded here.
public enum WebURL {
    public static let home = "/"
    public static let setup = "/setup"
    public static let login = "/login"
    public static let team = "/settings/team"
    public static let apiKeys = "/settings/api-keys"
    public static let workspaceSettings = "/settings/workspace"
    public static let accounts = "/accounts"
    public static let segments = "/segments"
    public static func segment(_ id: String, done: String? = nil) -> String { with("/segments/\(id)", ["done": done]) }
    public static let imports = "/imports"

    public static func auditLog(cursor: String? = nil) -> String { with("/settings/audit-log", ["cursor": cursor]) }

    public static func revokeKey(_ id: String) -> String { "/settings/api-keys/\(id)/revoke" }

    public static func customers(search: String? = nil, segmentId: String? = nil, cursor: String? = nil) -> String {
        with("/customers", ["cursor": cursor, "search": search, "segment_id": segmentId])
    }

    public static func customer(_ id: String, type: String? = nil, cursor: String? = nil, done: String? = nil) -> String {
        with("/customers/\(id)", ["cursor": cursor, "type": type, "done": done])
    }

    public static func customerExport(_ id: String) -> String { "/api/v1/customers/\(id)/export" }
    public static func customerConsent(_ id: String) -> String { "/customers/\(id)/consent" }
    public static func customerMerge(_ id: String) -> String { "/customers/\(id)/merge" }

    public static func account(_ id: String, cursor: String? = nil) -> String { with("/accounts/\(id)", ["cursor": cursor]) }
    public static func accounts(cursor: String?) -> String { with(accounts, ["cursor": cursor]) }

    public static func importJob(_ id: String) -> String { "/imports/\(id)" }

    public static func jobs(state: String? = nil, cursor: String? = nil, done: String? = nil) -> String {
        with("/settings/jobs", ["state": state, "cursor": cursor, "done": done])
    }

    public static func emailSettings(done: String? = nil) -> String { with("/settings/email", ["done": done]) }
    public static func unsubscribe(_ token: String) -> String { "/unsubscribe/\(token)" }
    public static func webhooks(done: String? = nil) -> String { with("/settings/webhooks", ["done": done]) }

    public static func webhook(_ id: String, done: String? = nil, cursor: String? = nil) -> String {
        with("/settings/webhooks/\(id)", ["done": done, "cursor": cursor])
    }

    /// `test`, `toggle`, `delete` or `rotate-secret`.
    public static func webhookAction(_ id: String, _ action: String) -> String { "/settings/webhooks/\(id)/\(action)" }

    public static func webhookReplay(_ id: String, delivery: String) -> String {
        "/settings/webhooks/\(id)/deliveries/\(delivery)/replay"
    }

    public static func surveys(done: String? = nil) -> String { with("/surveys", ["done": done]) }

    /// The follow-up queue: the signed-in user's cases (`mine`) or everyone's.
    public static func followUps(show: FollowUpsPage.Show = .mine, cursor: String? = nil) -> String {
        with("/follow-ups", ["show": show == .mine ? nil : show.rawValue, "cursor": cursor])
    }
    public static func team(_ id: String) -> String { "/settings/teams/\(id)" }
    public static func followUp(_ id: String, done: String? = nil) -> String { with("/follow-ups/\(id)", ["done": done]) }
    public static func followUpNotes(_ id: String) -> String { "/follow-ups/\(id)/notes" }
    public static func survey(_ id: String, done: String? = nil, cursor: String? = nil) -> String {
        with("/surveys/\(id)", ["done": done, "cursor": cursor])
    }
    /// `activate`, `pause` or `close`.
    public static func surveyAction(_ id: String, _ action: String) -> String { "/surveys/\(id)/\(action)" }
    /// The survey builder.
    public static func surveyEdit(_ id: String, done: String? = nil) -> String { with("/surveys/\(id)/edit", ["done": done]) }
    public static func surveyResponsesCSV(_ id: String) -> String { "/surveys/\(id)/responses.csv" }
    /// A survey's metric with its trend and breakdowns.
    public static func surveyResults(_ id: String) -> String { "/surveys/\(id)/results" }

    public static func automation(done: String? = nil) -> String { with("/settings/automation", ["done": done]) }

    public static func automationRule(_ id: String, done: String? = nil, cursor: String? = nil) -> String {
        with("/settings/automation/\(id)", ["done": done, "cursor": cursor])
    }

    /// `pause`, `resume` or `delete`.
    public static func automationAction(_ id: String, _ action: String) -> String { "/settings/automation/\(id)/\(action)" }

    /// `retry` or `cancel`.
    public static func jobAction(_ id: String, _ action: String) -> String { "/settings/jobs/\(id)/\(action)" }

    /// `path` with the non-empty values as a query, in the order given.
    static func with(_ path: String, _ query: KeyValuePairs<String, String?>) -> String {
        let parts = query.compactMap { key, value -> String? in
            guard let value, !value.isEmpty else { return nil }
            return "\(key)=\(value.addingPercentEncoding(withAllowedCharacters: queryValue) ?? "")"
        }
        return parts.isEmpty ? path : path + "?" + parts.joined(separator: "&")
    }

    /// Unreserved characters (RFC 3986 §2.3); everything else in a value is percent-encoded.
    private static let queryValue = CharacterSet(charactersIn:
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
