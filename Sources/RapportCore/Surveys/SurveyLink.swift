/// A survey's public link (a "web link collector"): `/s/{token}` that anyone may open to answer the survey
/// anonymously, for a website, a receipt or a poster. At most one per survey is live; rotating it replaces the token
/// (the old link stops working) and disabling it removes it. Only the token's SHA-256 is stored, so the link is shown
/// once, when it is made. Each generation has its own `id`: a respondent's progress belongs to the link they opened.
public struct SurveyLink: Sendable, Equatable {
    public var id: String
    public var workspaceId: String
    public var surveyId: String
    public var createdBy: String?
    public var createdAt: Int64

    public init(id: String, workspaceId: String, surveyId: String, createdBy: String?, createdAt: Int64) {
        self.id = id
        self.workspaceId = workspaceId
        self.surveyId = surveyId
        self.createdBy = createdBy
        self.createdAt = createdAt
    }

    /// The query parameters of a link that become the response's attributes (`?touchpoint=checkout&channel=qr`);
    /// any other parameter is ignored. Not `agent` or `team`: anyone can edit a public URL, and an agent's score must
    /// not be.
    public static let attributeParameters = ["channel", "touchpoint", "source", "campaign", "location"]
    /// The longest attribute value a link's query takes (longer ones are ignored).
    public static let maxAttributeLength = 100

    /// The attributes a link's query gives its response: the whitelisted parameters with 1–100 printable characters.
    public static func attributes(_ query: [String: String]) -> [String: String] {
        var result: [String: String] = [:]
        for name in attributeParameters {
            guard let value = query[name]?.trimmed, !value.isEmpty, value.count <= maxAttributeLength,
                  !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { continue }
            result[name] = value
        }
        return result
    }
}

/// The state of a survey's link as the API and the survey page show it (never the token: it is not stored).
public struct SurveyLinkStatus: Sendable, Equatable {
    public var surveyId: String
    public var link: SurveyLink?
    /// Responses started through any of the survey's links, by status.
    public var partial: Int
    public var completed: Int
    /// Set only in the answer that made the link: its address.
    public var url: String?

    public init(surveyId: String, link: SurveyLink?, partial: Int, completed: Int, url: String? = nil) {
        self.surveyId = surveyId
        self.link = link
        self.partial = partial
        self.completed = completed
        self.url = url
    }
}

/// Survey links and the resume tokens of the responses made through them. Every call but `find(tokenHash:)` is
/// scoped to one workspace.
public protocol SurveyLinkRepository: Sendable {
    /// The survey's live link, if any.
    func current(workspaceId: String, surveyId: String) async throws -> SurveyLink?
    /// Makes `link` the survey's live link under `tokenHash`, replacing the one before (whose token then names
    /// nothing).
    func replace(_ link: SurveyLink, tokenHash: String) async throws
    /// Removes the survey's live link; false when it had none.
    func remove(workspaceId: String, surveyId: String) async throws -> Bool
    /// The live link a token names (any workspace: the token is the authority).
    func find(tokenHash: String) async throws -> SurveyLink?
    /// Ties a resume token to a response of `link`; false when the token is already tied (to another response made
    /// by a concurrent submission: the caller uses that one).
    func claimResume(hash: String, link: SurveyLink, responseId: String, at: Int64) async throws -> Bool
    /// The response a resume token names, within `link`.
    func responseId(resumeHash: String, link: SurveyLink) async throws -> String?
    /// The survey's responses made through links, by status.
    func counts(workspaceId: String, surveyId: String) async throws -> (partial: Int, completed: Int)
}
