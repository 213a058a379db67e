import RapportCore
import RapportWeb

/// The widget's view of a showing, as JSON: where it stands, the workspace's name, and the visible questions in the
/// person's language with their choices (the hosted page's own model, `TakeSurveyPage`, decides the labels). Only
/// the token's holder gets it; it carries no profile data.
enum WidgetPresenter {
    static func survey(_ state: SurveyPageState) -> JSONValue {
        let page = TakeSurveyPage(state: state, actionURL: "")
        let status = page.closed ? "closed" : page.asking ? "asking" : "finished"
        let questions = zip(state.questions, page.questions).map { question, shown -> JSONValue in
            var fields: [String: JSONValue] = [
                "id": .string(question.id), "type": .string(question.type.rawValue), "text": .string(shown.text),
                "required": .bool(question.required), "low_label": .string(shown.lowLabel), "high_label": .string(shown.highLabel),
                "choices": .array(shown.options.map { ["value": .string($0.value), "label": .string($0.label)] }),
                "answer": state.answers[question.id] ?? .null,
            ]
            if question.type == .text { fields["max_length"] = JSONValue(SurveyQuestion.maxAnswerLength) }
            return .object(fields)
        }
        return ["status": .string(status), "language": .string(state.language), "workspace_name": .string(state.workspaceName),
                "questions": .array(questions)]
    }

    static func offer(_ offer: SurveyWidgetService.Offer) -> JSONValue {
        guard case .object(var fields) = survey(offer.state) else { return .null }
        fields["token"] = .string(offer.token)
        fields["position"] = .string(offer.position.rawValue)
        return .object(fields)
    }
}
