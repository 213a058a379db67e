import Foundation
import RapportCore

/// The hosted survey page `/s/{token}`: no sign-in, works without JavaScript, one fieldset per question, in the
/// workspace's colour when it has one.
public struct TakeSurveyPage: PageModel {
    public static let template = "take_survey"

    public struct Option: Sendable {
        public let inputId: String
        public let value: String
        public let label: String
        public let checked: Bool
    }

    public struct Question: Sendable {
        public let id: String
        public let fieldName: String
        public let text: String
        public let required: Bool
        public let isScale: Bool
        public let isSingle: Bool
        public let isMultiple: Bool
        public let isText: Bool
        public let options: [Option]
        public let lowLabel: String
        public let highLabel: String
        public let textValue: String
        public let hasError: Bool
        public let errorMessage: String
    }

    public let workspaceName: String
    public let surveyName: String
    public let language: String
    public let actionURL: String
    public let editURL: String
    public let asking: Bool
    public let finished: Bool
    public let closed: Bool
    /// A public link to a survey that is not active.
    public let unavailable: Bool
    /// The stylesheet of the workspace's brand colour, if it has one.
    public let brandStylesheet: String?
    /// A public link's resume token (the form sends it back, so a second submission continues the same response).
    public let resumeToken: String?
    public let editableUntil: DisplayDate?
    /// The score came from the email's link: the person confirms it with the button.
    public let proposed: Bool
    public let saved: Bool
    public let questions: [Question]
    public let error: String?

    /// `error` names the question it is about (`field`) or none.
    public init(state: SurveyPageState, actionURL: String, editing: Bool = false, error: (field: String?, message: String)? = nil,
                resumeToken: String? = nil) {
        let definition = state.definition
        let language = state.language
        workspaceName = state.workspaceName
        surveyName = state.surveyName
        self.language = language
        self.actionURL = actionURL
        editURL = actionURL + (actionURL.contains("?") ? "&" : "?") + "edit=1"
        self.resumeToken = resumeToken
        brandStylesheet = state.brandColor.map(BrandStyle.url)
        var asking = false, finished = false, closed = false, unavailable = false
        var until: Int64?
        switch state.stage {
        case .asking: asking = true
        case .finished(let editableUntil):
            until = editableUntil
            if editing, editableUntil != nil { asking = true } else { finished = true }
        case .closed: closed = true
        case .unavailable: unavailable = true
        }
        self.asking = asking
        self.finished = finished
        self.closed = closed
        self.unavailable = unavailable
        editableUntil = until.map { DisplayDate(millis: $0) }
        proposed = state.proposedScore != nil
        saved = state.saved && asking && !editing
        self.error = error?.message
        let answers = state.answers
        questions = state.questions.map { question in
            let field = "a_\(question.id)"
            let answer = answers[question.id]
            var options: [Option] = []
            if let range = question.scoreRange {
                let chosen = answer?.numberValue.map { Int($0) } ?? (question.id == definition.primaryQuestion?.id ? state.proposedScore : nil)
                options = range.map { score in
                    Option(inputId: "\(field)_\(score)", value: String(score), label: Self.scoreLabel(question, score),
                           checked: chosen == score)
                }
            } else if question.type == .singleChoice || question.type == .multipleChoice {
                let chosen = Set(answer?.arrayValue?.compactMap(\.stringValue) ?? answer?.stringValue.map { [$0] } ?? [])
                options = question.options.map { option in
                    Option(inputId: "\(field)_\(option.id)", value: option.id, label: definition.localized(option.text, language),
                           checked: chosen.contains(option.id))
                }
            }
            let isError = error?.field == question.id
            return Question(
                id: question.id, fieldName: field, text: definition.localized(question.text, language), required: question.required,
                isScale: question.scoreRange != nil, isSingle: question.type == .singleChoice,
                isMultiple: question.type == .multipleChoice, isText: question.type == .text, options: options,
                lowLabel: definition.localized(question.lowLabel, language), highLabel: definition.localized(question.highLabel, language),
                textValue: question.type == .text ? (answer?.stringValue ?? "") : "", hasError: isError,
                errorMessage: isError ? (error?.message ?? "") : "")
        }
    }

    /// The words of thumbs and faces; numbers otherwise.
    static func scoreLabel(_ question: SurveyQuestion, _ score: Int) -> String {
        switch question.csatScale {
        case .thumbs: score == 1 ? "👎 No" : "👍 Yes"
        case .faces: ["😠 Very unhappy", "🙁 Unhappy", "😐 Neutral", "🙂 Happy", "😄 Very happy"][score - 1]
        default: String(score)
        }
    }
}
