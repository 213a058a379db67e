import Foundation
import RapportCore

/// The survey page's part about its public link: whether it has one, since when, the responses links brought, the
/// address right after it was made (only then: the token is stored as a hash), and for admins the forms that make,
/// rotate and disable it.
public struct SurveyLinkSection: Sendable {
    public let enabled: Bool
    public let madeAt: DisplayDate?
    /// "2 finished responses through links, 1 unfinished."
    public let answers: String
    /// The link's address, in the answer that made it.
    public let url: String?
    public let canCreate: Bool
    public let canChange: Bool
    /// Why the link takes no answers now, if it does not (the survey is a draft or paused).
    public let notice: String?
    public let createURL: String
    public let rotateURL: String
    public let disableURL: String

    public init(_ link: SurveyLinkStatus, survey: Survey, canManage: Bool, timeZone: TimeZone = DisplayDate.utc) {
        enabled = link.link != nil
        madeAt = link.link.map { DisplayDate(millis: $0.createdAt, timeZone: timeZone) }
        answers = "\(link.completed) finished response\(link.completed == 1 ? "" : "s") through links"
            + (link.partial > 0 ? ", \(link.partial) unfinished" : "") + "."
        url = link.url
        canCreate = canManage && link.link == nil && survey.status != .closed
        canChange = canManage && link.link != nil
        if link.link == nil {
            notice = nil
        } else {
            notice = switch survey.status {
            case .draft: "The survey is a draft: the link shows that it is not open yet until you activate it."
            case .paused: "The survey is paused: the link shows that it is not taking answers until you resume it."
            case .closed: "The survey is closed: the link shows that it is closed."
            case .active: nil
            }
        }
        createURL = WebURL.surveyAction(survey.id, "link")
        rotateURL = WebURL.surveyAction(survey.id, "link/rotate")
        disableURL = WebURL.surveyAction(survey.id, "link/disable")
    }
}
