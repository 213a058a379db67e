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
/// properties; the page wins where names overlap (a nil in the page falls back to the chrome's value).
///
/// The values are read by reflection once, when the page is framed (`TemplateObject`): a template looks names up
/// many times (every `{{name}}`, and every name an inner section lacks is looked up in each outer one), and
/// reflecting a model at each lookup, as the library does for plain values, was most of what a page cost to serve.
struct FramedPage: MustacheParent {
    private let values: [String: Any]

    init(page: any PageModel, chrome: PageChrome?, navigation: [PageNavigation.Key: String]) {
        var values: [String: Any] = [:]
        if let chrome {
            TemplateObject.addProperties(of: chrome, to: &values)
            values["navigationHTML"] = navigation[PageNavigation.Key(section: type(of: page).section, isAdmin: chrome.user.isAdmin)]
        }
        TemplateObject.addProperties(of: page, to: &values)
        self.values = values
    }

    func child(named name: String) -> Any? { values[name] }
}
