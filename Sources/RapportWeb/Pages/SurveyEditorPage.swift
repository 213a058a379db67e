import Foundation
import RapportCore

/// The survey builder: every question of a survey with its texts per language, choices, logic and the survey's
/// settings in one plain form (its buttons post the whole form: add, move, remove, preview, save), beside a preview of
/// the hosted page and the invitation email. Read-only for those who may not build (analysts).
public struct SurveyEditorPage: PageModel {
    public static let template = "survey_edit"

    public struct Choice: Sendable {
        public let value: String
        public let label: String
        public let selected: Bool
        public let inputId: String
    }

    /// One input per language.
    public struct LanguageText: Sendable {
        public let language: String
        public let name: String
        public let inputId: String
        public let value: String
        public let isDefault: Bool
    }

    public struct QuestionRow: Sendable {
        public let index: Int
        public let number: Int
        public let prefix: String
        public let id: String
        public let types: [Choice]
        public let typeLabel: String
        public let required: Bool
        public let texts: [LanguageText]
        public let isScored: Bool
        public let lowLabels: [LanguageText]
        public let highLabels: [LanguageText]
        public let isCSAT: Bool
        public let scales: [Choice]
        public let isRating: Bool
        public let max: String
        public let isChoice: Bool
        public let optionAreas: [LanguageText]
        public let showQuestions: [Choice]
        public let hasEarlier: Bool
        public let showBands: [Choice]
        public let showEquals: String
        public let showMin: String
        public let showMax: String
        public let hasLogic: Bool
        public let canMoveUp: Bool
        public let canMoveDown: Bool
        public let hasError: Bool
        public let idError: String?
        public let typeError: String?
        public let textError: String?
        public let labelsError: String?
        public let scaleError: String?
        public let maxError: String?
        public let optionsError: String?
        public let showIfError: String?
    }

    public let surveyName: String
    public let surveyURL: String
    public let actionURL: String
    public let previewURL: String
    public let status: String
    public let version: Int
    /// Saving changes to the questions or languages of a survey that has been active makes a new version.
    public let versionNote: String?
    public let canEdit: Bool
    public let readOnly: Bool

    public let name: String
    public let nameError: String?
    public let languages: String
    public let languagesError: String?
    public let questions: [QuestionRow]
    public let questionCount: Int
    public let newTypes: [Choice]

    public let oncePerPerson: Bool
    public let minDaysBetween: String
    public let minDaysBetweenError: String?
    public let editWindowHours: String
    public let editWindowHoursError: String?
    public let reminderAfterDays: String
    public let reminderAfterDaysError: String?
    public let maxReminders: String
    public let maxRemindersError: String?
    public let followUpEnabled: Bool
    public let followUpBands: [Choice]
    public let followUpDueHours: String
    public let followUpError: String?
    public let settingsError: String?

    public let previewLanguages: [Choice]
    public let previewScores: [Choice]
    public let preview: SurveyPreviewBlock
    /// The summary of a refused save, at the top (the message also stands beside its field).
    public let error: String?
    public let flash: String?

    static let typeLabels: [(QuestionType, String)] = [
        (.nps, "NPS: how likely to recommend (0–10)"), (.csat, "CSAT: how satisfied"), (.ces, "CES: how easy (1–7)"),
        (.rating, "Rating (stars or points)"), (.singleChoice, "Single choice"), (.multipleChoice, "Multiple choice"),
        (.text, "Open text"),
    ]
    static let scaleLabels: [(CSATScale, String)] = [
        (.five, "1–5"), (.seven, "1–7"), (.ten, "1–10"), (.thumbs, "Thumbs down or up"), (.faces, "Five faces"),
    ]

    /// `error` is a refused save or preview: its message and the field the service named (`questions[1].options`).
    public init(survey: Survey, draft: SurveyDraft, canEdit: Bool, preview: SurveyPreviewBlock, previewScore: Int?,
                error: (field: String?, message: String)?, flash: String?) {
        surveyName = survey.name
        surveyURL = WebURL.survey(survey.id)
        actionURL = WebURL.surveyEdit(survey.id)
        previewURL = WebURL.surveyAction(survey.id, "preview")
        status = survey.status.rawValue
        version = survey.version
        versionNote = survey.published
            ? "This survey has been active: saving changes to its questions or languages makes version \(survey.version + 1). "
                + "Responses given so far keep version \(survey.version) and the meaning it gave them; changes to the name and settings apply at once."
            : nil
        self.canEdit = canEdit
        readOnly = !canEdit
        self.preview = preview
        self.error = error.map { "Not saved: \($0.message)" }
        self.flash = flash

        let place = ErrorPlace(error?.field)
        func message(_ matches: Bool) -> String? { matches ? error?.message : nil }

        name = draft.name
        nameError = message(place == .name)
        languages = draft.languages
        languagesError = message(place == .languages)
        let codes = draft.languageCodes.isEmpty ? ["en"] : draft.languageCodes
        func inputs(_ prefix: String, _ part: String, _ values: [String: String]) -> [LanguageText] {
            codes.enumerated().map { position, code in
                LanguageText(language: code, name: "\(prefix)_\(part)_\(code)", inputId: "\(prefix)-\(part)-\(code)",
                             value: values[code] ?? "", isDefault: position == 0)
            }
        }
        let bandNames = ScoreBand.allCases.map(\.rawValue)
        questions = draft.questions.enumerated().map { index, question in
            let prefix = "q\(index)"
            let type = QuestionType(rawValue: question.type)
            func part(_ names: String...) -> String? {
                guard case .question(let at, let name) = place, at == index else { return nil }
                return names.contains(name) ? error?.message : nil
            }
            var areas: [String: String] = [:]
            for (position, code) in codes.enumerated() {
                areas[code] = question.options.map { option in
                    position == 0 ? "\(option.id) | \(option.text[code] ?? "")" : (option.text[code] ?? "")
                }.joined(separator: "\n")
            }
            let earlier = draft.questions.prefix(index).map(\.id)
            let hasError: Bool = if case .question(let at, _) = place { at == index } else { false }
            return QuestionRow(
                index: index, number: index + 1, prefix: prefix, id: question.id,
                types: Self.typeLabels.map { Choice(value: $0.0.rawValue, label: $0.1, selected: $0.0 == type, inputId: "") },
                typeLabel: Self.typeLabels.first { $0.0 == type }?.1 ?? question.type, required: question.required,
                texts: inputs(prefix, "text", question.text), isScored: type?.isScored == true,
                lowLabels: inputs(prefix, "low", question.lowLabel), highLabels: inputs(prefix, "high", question.highLabel),
                isCSAT: type == .csat,
                scales: Self.scaleLabels.map { Choice(value: $0.0.rawValue, label: $0.1, selected: $0.0.rawValue == question.scale, inputId: "") },
                isRating: type == .rating, max: question.max,
                isChoice: type == .singleChoice || type == .multipleChoice, optionAreas: inputs(prefix, "options", areas),
                showQuestions: [Choice(value: "", label: "Always shown", selected: question.showQuestion.isEmpty, inputId: "")]
                    + earlier.map { Choice(value: $0, label: "Only when \($0)…", selected: $0 == question.showQuestion, inputId: "") },
                hasEarlier: !earlier.isEmpty,
                showBands: bandNames.map { Choice(value: $0, label: $0, selected: question.showBands.contains($0), inputId: "\(prefix)-band-\($0)") },
                showEquals: question.showEquals, showMin: question.showMin, showMax: question.showMax,
                hasLogic: !question.showQuestion.isEmpty || part("show_if") != nil,
                canMoveUp: index > 0, canMoveDown: index < draft.questions.count - 1, hasError: hasError,
                idError: part("id"), typeError: part("type", "required"), textError: part("text", ""),
                labelsError: part("low_label", "high_label"), scaleError: part("scale"), maxError: part("max"),
                optionsError: part("options"), showIfError: part("show_if"))
        }
        questionCount = draft.questions.count
        newTypes = Self.typeLabels.map { Choice(value: $0.0.rawValue, label: $0.1, selected: $0.0 == .singleChoice, inputId: "") }

        oncePerPerson = draft.oncePerPerson
        minDaysBetween = draft.minDaysBetween
        minDaysBetweenError = message(place == .setting("min_days_between"))
        editWindowHours = draft.editWindowHours
        editWindowHoursError = message(place == .setting("edit_window_hours"))
        reminderAfterDays = draft.reminderAfterDays
        reminderAfterDaysError = message(place == .setting("reminder_after_days"))
        maxReminders = draft.maxReminders
        maxRemindersError = message(place == .setting("max_reminders"))
        followUpEnabled = draft.followUpEnabled
        followUpBands = bandNames.map { Choice(value: $0, label: $0, selected: draft.followUpBands.contains($0), inputId: "follow-up-band-\($0)") }
        followUpDueHours = draft.followUpDueHours
        followUpError = message(place == .setting("follow_up"))
        settingsError = message(place == .setting(""))

        previewLanguages = codes.map { Choice(value: $0, label: $0, selected: $0 == preview.language, inputId: "") }
        var scores = [Choice(value: "", label: "No answer yet", selected: previewScore == nil, inputId: "")]
        if let range = preview.scoreRange {
            scores += range.map { Choice(value: String($0), label: String($0), selected: $0 == previewScore, inputId: "") }
        }
        previewScores = scores
    }

    /// Where a service error's field path (`questions[1].options[0].id`, `settings.follow_up.bands`) is shown.
    enum ErrorPlace: Equatable {
        case none, name, languages
        case question(Int, String)
        case setting(String)

        init(_ field: String?) {
            guard let field else { self = .none; return }
            if field == "name" { self = .name; return }
            if field.hasPrefix("languages") { self = .languages; return }
            if field.hasPrefix("settings.") {
                let rest = field.dropFirst("settings.".count)
                let key = rest.split(separator: ".").first.map(String.init) ?? ""
                self = .setting(Self.settingKeys.contains(key) ? key : "")
                return
            }
            if field.hasPrefix("questions["), let close = field.firstIndex(of: "]"),
               let index = Int(field[field.index(field.startIndex, offsetBy: "questions[".count)..<close]) {
                let rest = field[field.index(after: close)...].drop { $0 == "." }
                let key = rest.prefix { $0 != "." && $0 != "[" }
                self = .question(index, String(key))
                return
            }
            self = .none
        }

        static let settingKeys: Set<String> = ["min_days_between", "edit_window_hours", "reminder_after_days", "max_reminders", "follow_up"]
    }
}

/// The preview beside the builder (and the fragment its script fetches): the hosted page as rendered by its own
/// template, and the invitation email's subject, HTML and text parts; or why the draft cannot be previewed.
public struct SurveyPreviewBlock: PageModel {
    public static let template = "survey_preview"

    public let language: String
    /// The whole hosted page, for a sandboxed frame's `srcdoc` (the template escapes it into the attribute).
    public let pageHTML: String?
    public let subject: String?
    public let emailHTML: String?
    public let emailText: String?
    public let sampleAddress: String
    public let problem: String?
    /// The headline question's values, for previewing the questions a score reveals.
    public let scoreRange: ClosedRange<Int>?

    /// The previews, with the hosted page rendered by `render` (the production page renderer).
    public init(_ preview: SurveyPreview, renderPage: (TakeSurveyPage) -> String) {
        language = preview.language
        pageHTML = renderPage(TakeSurveyPage(state: preview.page, actionURL: "/s/preview"))
        subject = preview.email.subject
        emailHTML = preview.email.html
        emailText = preview.email.text
        sampleAddress = SurveyPreviewing.sampleAddress
        problem = nil
        scoreRange = preview.survey.definition.primaryQuestion?.scoreRange
    }

    /// No preview: the draft does not pass (`problem` says why).
    public init(problem: String, language: String, scoreRange: ClosedRange<Int>?) {
        self.language = language
        pageHTML = nil
        subject = nil
        emailHTML = nil
        emailText = nil
        sampleAddress = SurveyPreviewing.sampleAddress
        self.problem = problem
        self.scoreRange = scoreRange
    }
}
