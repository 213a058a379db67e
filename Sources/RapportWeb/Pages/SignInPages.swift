/// The first-run form that creates the workspace and its owner.
public struct SetupPage: PageModel {
    public static let template = "setup"
    public struct Values: Sendable {
        public let workspace: String
        public let name: String
        public let email: String
    }

    public let formCsrf: String
    public let error: String?
    public let values: Values

    public init(formCsrf: String, error: String?, workspace: String = "", name: String = "", email: String = "") {
        self.formCsrf = formCsrf
        self.error = error
        self.values = Values(workspace: workspace, name: name, email: email)
    }
}

/// The sign-in form.
public struct LoginPage: PageModel {
    public static let template = "login"
    public let formCsrf: String
    public let error: String?
    public let email: String

    public init(formCsrf: String, error: String?, email: String) {
        self.formCsrf = formCsrf
        self.error = error
        self.email = email
    }
}

/// What a browser sees when a request fails.
public struct ErrorPage: PageModel {
    public static let template = "error"
    public let status: Int
    public let title: String
    public let message: String
    public let requestId: String

    public init(status: Int, title: String, message: String, requestId: String) {
        self.status = status
        self.title = title
        self.message = message
        self.requestId = requestId
    }
}
