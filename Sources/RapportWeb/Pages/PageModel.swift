import Mustache

/// One page of the browser UI: the template it fills and the typed values it shows. A template reads the model's
/// stored properties by name (`{{memberCount}}`, `{{#customer}}{{name}}{{/customer}}`); a nil optional reads as
/// absent, so `{{#error}}` skips it.
public protocol PageModel: Sendable {
    static var template: String { get }
    /// The navigation item the page sits under (see `PageNavigation.swift`).
    static var section: NavSection? { get }
}

/// What every signed-in page shows around its content: who is signed in, in which workspace, the workspace switcher
/// and the session's CSRF token for the page's forms.
public struct PageChrome: Sendable {
    public struct User: Sendable {
        public let email: String
        public let role: String
        public let isAdmin: Bool
        public let isOwner: Bool

        public init(email: String, role: String, isAdmin: Bool, isOwner: Bool) {
            self.email = email
            self.role = role
            self.isAdmin = isAdmin
            self.isOwner = isOwner
        }
    }

    public struct Workspace: Sendable {
        public let id: String
        public let name: String
        public let current: Bool

        public init(id: String, name: String, current: Bool) {
            self.id = id
            self.name = name
            self.current = current
        }
    }

    public let csrf: String
    public let user: User
    public let workspace: Workspace
    public let workspaces: [Workspace]
    public let hasManyWorkspaces: Bool

    public init(csrf: String, user: User, workspace: Workspace, workspaces: [Workspace]) {
        self.csrf = csrf
        self.user = user
        self.workspace = workspace
        self.workspaces = workspaces
        self.hasManyWorkspaces = workspaces.count > 1
    }
}

/// The object a template renders: the page's own values first, then the chrome's. Both are read by their stored
/// properties; the page wins where names overlap.
struct FramedPage: MustacheParent {
    let page: any PageModel
    let chrome: PageChrome?

    func child(named name: String) -> Any? {
        if let value = Self.property(name, of: page) { return value }
        if name == "navigation", let chrome {
            return PageNavigation(current: type(of: page).section, isAdmin: chrome.user.isAdmin).groups
        }
        return chrome.flatMap { Self.property(name, of: $0) }
    }

    /// The stored property `name` of `object`, unwrapped when optional; nil when it is absent or nil.
    static func property(_ name: String, of object: Any) -> Any? {
        guard let value = Mirror(reflecting: object).children.first(where: { $0.label == name })?.value else { return nil }
        let mirror = Mirror(reflecting: value)
        guard mirror.displayStyle == .optional else { return value }
        return mirror.children.first?.value
    }
}
