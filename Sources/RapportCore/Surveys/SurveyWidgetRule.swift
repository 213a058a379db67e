/// A survey's web widget channel (`settings.widget`, docs/surveys.md "Web widget"): whether the widget may show it,
/// on which pages (`paths`), after which event of the page session and after how long on the page or the site, where
/// on the screen, and how long a dismissal holds it back. Every condition given must hold.
public struct SurveyWidgetRule: Sendable, Equatable {
    public enum Position: String, Sendable, CaseIterable {
        case bottomRight = "bottom_right"
        case bottomLeft = "bottom_left"
    }

    public var enabled: Bool
    /// Path patterns (`/pricing`, `/account/*`); `*` stands for any characters, `/` included. Empty: every page.
    public var paths: [String]
    /// An event the page session has tracked (`rapport.track`), or nil.
    public var event: String?
    public var secondsOnPage: Int?
    /// Seconds since the browser session's first page on the site.
    public var secondsOnSite: Int?
    public var position: Position
    /// Days a dismissal holds this survey back from the person, on any channel.
    public var dismissDays: Int

    public static let defaultDismissDays = 30
    public static let maxPaths = 20
    public static let maxPathLength = 200
    public static let maxSeconds = 3_600

    public init(enabled: Bool = false, paths: [String] = [], event: String? = nil, secondsOnPage: Int? = nil,
                secondsOnSite: Int? = nil, position: Position = .bottomRight, dismissDays: Int = SurveyWidgetRule.defaultDismissDays) {
        self.enabled = enabled
        self.paths = paths
        self.event = event
        self.secondsOnPage = secondsOnPage
        self.secondsOnSite = secondsOnSite
        self.position = position
        self.dismissDays = dismissDays
    }

    static let keys: Set<String> = ["enabled", "paths", "event", "seconds_on_page", "seconds_on_site", "position", "dismiss_days"]

    /// Applies the given fields; errors name `settings.widget.<field>`.
    mutating func apply(_ raw: JSONValue) throws(RapportError) {
        let prefix = "settings.widget"
        guard let fields = raw.objectValue else { throw RapportError.invalid(prefix, "\(prefix) must be an object.") }
        if let unknown = fields.keys.sorted().first(where: { !Self.keys.contains($0) }) {
            throw RapportError.invalid("\(prefix).\(unknown)",
                                       "\(unknown) is not a widget setting; allowed: \(Self.keys.sorted().joined(separator: ", ")).")
        }
        if let value = fields["enabled"] {
            guard let flag = value.boolValue else { throw RapportError.invalid("\(prefix).enabled", "\(prefix).enabled must be true or false.") }
            enabled = flag
        }
        if let value = fields["paths"] {
            guard let list = value.arrayValue, list.count <= Self.maxPaths else {
                throw RapportError.invalid("\(prefix).paths", "\(prefix).paths must be a list of up to \(Self.maxPaths) path patterns.")
            }
            var patterns: [String] = []
            for (index, item) in list.enumerated() {
                guard let pattern = item.stringValue?.trimmed, pattern.hasPrefix("/") || pattern == "*",
                      pattern.unicodeScalars.count <= Self.maxPathLength,
                      !pattern.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == " " }) else {
                    throw RapportError.invalid("\(prefix).paths[\(index)]",
                                               "\(prefix).paths[\(index)] must be a path starting with / (up to \(Self.maxPathLength) characters, no spaces); * stands for any characters.")
                }
                if !patterns.contains(pattern) { patterns.append(pattern) }
            }
            paths = patterns
        }
        if let value = fields["event"] {
            if value.isNull {
                event = nil
            } else {
                guard let name = value.stringValue?.trimmed, (1...200).contains(name.unicodeScalars.count) else {
                    throw RapportError.invalid("\(prefix).event", "\(prefix).event must be an event name of 1–200 characters, or null.")
                }
                event = name
            }
        }
        if let value = fields["seconds_on_page"] {
            secondsOnPage = value.isNull ? nil : try Validation.integer(value, "\(prefix).seconds_on_page", 0...Self.maxSeconds)
        }
        if let value = fields["seconds_on_site"] {
            secondsOnSite = value.isNull ? nil : try Validation.integer(value, "\(prefix).seconds_on_site", 0...Self.maxSeconds)
        }
        if let value = fields["position"] {
            guard let position = value.stringValue.flatMap(Position.init(rawValue:)) else {
                throw RapportError.invalid("\(prefix).position",
                                           "\(prefix).position must be one of: \(Position.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            self.position = position
        }
        if let value = fields["dismiss_days"] {
            dismissDays = try Validation.integer(value, "\(prefix).dismiss_days", 1...365)
        }
    }

    public var json: JSONValue {
        ["enabled": .bool(enabled), "paths": .array(paths.map { .string($0) }), "event": JSONValue(event),
         "seconds_on_page": JSONValue(secondsOnPage), "seconds_on_site": JSONValue(secondsOnSite),
         "position": .string(position.rawValue), "dismiss_days": JSONValue(dismissDays)]
    }

    // MARK: Targeting

    /// Whether the page's path is one of `paths` (every page when there are none). A trailing `/` is ignored.
    public func matches(path: String) -> Bool {
        paths.isEmpty || paths.contains { Self.glob($0, matches: path) }
    }

    /// What a page still lacks before this rule shows the survey there: nothing (`ready`), an event, or time.
    public enum Readiness: Sendable, Equatable {
        case ready
        case waitingForEvent(String)
        /// Seconds until the time conditions hold.
        case waitingSeconds(Int)
    }

    /// Where a page stands against the event and time conditions (the path is checked by `matches(path:)`).
    public func readiness(events: Set<String>, secondsOnPage page: Int, secondsOnSite site: Int) -> Readiness {
        if let event, !events.contains(event) { return .waitingForEvent(event) }
        let wait = max((secondsOnPage ?? 0) - page, (secondsOnSite ?? 0) - site)
        return wait > 0 ? .waitingSeconds(wait) : .ready
    }

    /// `*` matches any run of characters; everything else matches itself. Trailing slashes are ignored on both sides.
    static func glob(_ pattern: String, matches path: String) -> Bool {
        func trimmed(_ text: String) -> [Character] {
            var chars = Array(text)
            while chars.count > 1, chars.last == "/" { chars.removeLast() }
            return chars
        }
        let p = trimmed(pattern), s = trimmed(path)
        // Iterative wildcard matching with one backtrack point (linear for patterns like these).
        var (pi, si, star, mark) = (0, 0, -1, 0)
        while si < s.count {
            if pi < p.count, p[pi] != "*", p[pi] == s[si] {
                pi += 1; si += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi; mark = si; pi += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; si = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
