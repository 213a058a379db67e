/// What a respondent sees when the hosted survey page cannot show a survey: an unknown link, too many requests, too
/// large a form. It stands alone (no sign-in frame, nothing about Rapport's UI) and says what to do.
public struct SurveyMessagePage: PageModel {
    public static let template = "survey_message"

    public let status: Int
    public let title: String
    public let message: String

    public init(status: Int, message: String) {
        self.status = status
        self.message = message
        title = switch status {
        case 404: "Survey not found"
        case 429: "Please wait a moment"
        case 413: "Answers too long"
        default: "Something is not right"
        }
    }
}
