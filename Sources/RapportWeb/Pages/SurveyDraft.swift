import Foundation
import RapportCore

/// The survey builder's form as the manager left it: every field as typed, so that a round trip (add, move, remove,
/// preview, a refused save) shows it again unchanged. `fields` turns it into the API's survey fields, which
/// `SurveyService` checks exactly as it checks the API's; nothing here judges the values.
public struct SurveyDraft: Sendable, Equatable {
    public struct Option: Sendable, Equatable {
        public var id: String
        /// By language code.
        public var text: [String: String]
    }

    public struct Question: Sendable, Equatable {
        public var id: String
        public var type: String
        public var required: Bool
        /// By language code, as the fields below.
        public var text: [String: String]
        public var lowLabel: [String: String]
        public var highLabel: [String: String]
        /// `csat` only.
        public var scale: String
        /// `rating` only.
        public var max: String
        public var options: [Option]
        /// `show_if`: an earlier question's id ("" for always shown) and one test.
        public var showQuestion: String
        public var showBands: [String]
        public var showEquals: String
        public var showMin: String
        public var showMax: String
    }

    public var name: String
    /// As typed: codes separated by commas or spaces; the first is the default (the fallback).
    public var languages: String
    public var questions: [Question]
    public var oncePerPerson: Bool
    public var minDaysBetween: String
    public var editWindowHours: String
    public var reminderAfterDays: String
    public var maxReminders: String
    public var followUpEnabled: Bool
    public var followUpBands: [String]
    public var followUpDueHours: String

    public var languageCodes: [String] {
        languages.split(whereSeparator: { $0 == "," || $0.isWhitespace }).map(String.init)
    }

    // MARK: From a survey

    public init(survey: Survey) {
        let definition = survey.definition
        name = survey.name
        languages = definition.languages.joined(separator: ", ")
        questions = definition.questions.map { question in
            var draft = Question(id: question.id, type: question.type.rawValue, required: question.required, text: question.text,
                                 lowLabel: question.lowLabel, highLabel: question.highLabel,
                                 scale: question.csatScale?.rawValue ?? CSATScale.five.rawValue,
                                 max: String(question.ratingMax ?? 5),
                                 options: question.options.map { Option(id: $0.id, text: $0.text) },
                                 showQuestion: question.showIf?.question ?? "", showBands: [], showEquals: "", showMin: "", showMax: "")
            switch question.showIf?.test {
            case .band(let bands)?: draft.showBands = bands.map(\.rawValue)
            case .oneOf(let values)?: draft.showEquals = values.map { $0.stringValue ?? $0.jsonText }.joined(separator: ", ")
            case .between(let min, let max)?:
                draft.showMin = min.map { Self.number($0) } ?? ""
                draft.showMax = max.map { Self.number($0) } ?? ""
            case nil: break
            }
            return draft
        }
        let settings = survey.settings
        oncePerPerson = settings.oncePerPerson
        minDaysBetween = settings.minDaysBetween.map(String.init) ?? ""
        editWindowHours = String(settings.editWindowHours)
        reminderAfterDays = settings.reminderAfterDays.map(String.init) ?? ""
        maxReminders = String(settings.maxReminders)
        followUpEnabled = settings.followUp.enabled
        followUpBands = settings.followUp.bands.map(\.rawValue)
        followUpDueHours = String(settings.followUp.dueHours)
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    // MARK: From the form

    /// The posted form (every value of every field). Question `i`'s fields are named `q{i}_…`; a text in language
    /// `xx` ends in `_xx`; choices are one per line, `id | text` (or only the text, which then makes the id) in the
    /// default language and the texts in the same order in the others.
    public init(form: [String: [String]]) {
        func one(_ key: String) -> String { form[key]?.first ?? "" }
        name = one("name")
        languages = one("languages")
        let codes = languages.split(whereSeparator: { $0 == "," || $0.isWhitespace }).map(String.init)
        let defaultLanguage = codes.first ?? "en"
        var questions: [Question] = []
        var index = 0
        while index <= SurveyDefinition.maxQuestions, form["q\(index)_type"] != nil {
            let prefix = "q\(index)_"
            func texts(_ part: String) -> [String: String] {
                var result: [String: String] = [:]
                for (key, values) in form where key.hasPrefix(prefix + part + "_") {
                    result[String(key.dropFirst(prefix.count + part.count + 1))] = values.first ?? ""
                }
                return result
            }
            let optionTexts = texts("options")
            questions.append(Question(
                id: one(prefix + "id").trimmed, type: one(prefix + "type"), required: !(form[prefix + "required"] ?? []).isEmpty,
                text: texts("text"), lowLabel: texts("low"), highLabel: texts("high"), scale: one(prefix + "scale"),
                max: one(prefix + "max"), options: Self.options(optionTexts, defaultLanguage: defaultLanguage),
                showQuestion: one(prefix + "show_question"), showBands: (form[prefix + "show_band"] ?? []).filter { !$0.isEmpty },
                showEquals: one(prefix + "show_equals"), showMin: one(prefix + "show_min"), showMax: one(prefix + "show_max")))
            index += 1
        }
        self.questions = questions
        oncePerPerson = !(form["once_per_person"] ?? []).isEmpty
        minDaysBetween = one("min_days_between")
        editWindowHours = one("edit_window_hours")
        reminderAfterDays = one("reminder_after_days")
        maxReminders = one("max_reminders")
        followUpEnabled = !(form["follow_up_enabled"] ?? []).isEmpty
        followUpBands = (form["follow_up_band"] ?? []).filter { !$0.isEmpty }
        followUpDueHours = one("follow_up_due_hours")
    }

    /// The choices from their text areas: the default language's lines give the ids and texts, each other language's
    /// lines (blank ones kept, so that positions match) the translations.
    static func options(_ areas: [String: String], defaultLanguage: String) -> [Option] {
        func lines(_ text: String) -> [String] {
            var all = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
                .map { String($0).trimmed }
            while all.last?.isEmpty == true { all.removeLast() }
            return all
        }
        var options: [Option] = []
        var used: Set<String> = []
        for line in lines(areas[defaultLanguage] ?? "") where !line.isEmpty {
            var id: String
            var text: String
            if let bar = line.firstIndex(of: "|") {
                id = String(line[..<bar]).trimmed
                text = String(line[line.index(after: bar)...]).trimmed
            } else {
                text = line
                id = slug(line, fallback: "option_\(options.count + 1)")
                var candidate = id, suffix = 2
                while used.contains(candidate) { candidate = "\(id.prefix(36))_\(suffix)"; suffix += 1 }
                id = candidate
            }
            used.insert(id)
            options.append(Option(id: id, text: text.isEmpty ? [:] : [defaultLanguage: text]))
        }
        for (language, area) in areas where language != defaultLanguage {
            for (position, line) in lines(area).enumerated() where position < options.count && !line.isEmpty {
                options[position].text[language] = line
            }
        }
        return options
    }

    /// An option id made from its text: lower-case ASCII letters, digits and `_`, starting with a letter, at most 40.
    static func slug(_ text: String, fallback: String) -> String {
        var result = ""
        for scalar in text.lowercased().unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                result.unicodeScalars.append(scalar)
            } else if !result.isEmpty, !result.hasSuffix("_") {
                result += "_"
            }
        }
        while result.hasSuffix("_") { result.removeLast() }
        if let first = result.unicodeScalars.first, !("a"..."z").contains(first) { result = "o_" + result }
        return result.isEmpty ? fallback : String(result.prefix(40))
    }

    // MARK: Changes the buttons make

    /// A new question of `type` after the others, with a standard wording to start from.
    public mutating func addQuestion(type raw: String) {
        let type = QuestionType(rawValue: raw) ?? .text
        let defaultLanguage = languageCodes.first ?? "en"
        var number = questions.count + 1
        while questions.contains(where: { $0.id == "q\(number)" }) { number += 1 }
        let wording: String = switch type {
        case .nps: "How likely are you to recommend us to a friend or colleague?"
        case .csat: "How satisfied are you with the help you received?"
        case .ces: "The company made it easy for me to handle my issue."
        case .rating: "How would you rate your experience?"
        case .singleChoice: "Which of these fits best?"
        case .multipleChoice: "Which of these apply?"
        case .text: "Anything else you would like to tell us?"
        }
        var options: [Option] = []
        if type == .singleChoice || type == .multipleChoice {
            options = [Option(id: "option_1", text: [defaultLanguage: "Option 1"]), Option(id: "option_2", text: [defaultLanguage: "Option 2"])]
        }
        questions.append(Question(id: "q\(number)", type: type.rawValue, required: false, text: [defaultLanguage: wording],
                                  lowLabel: [:], highLabel: [:], scale: CSATScale.five.rawValue, max: "5", options: options,
                                  showQuestion: "", showBands: [], showEquals: "", showMin: "", showMax: ""))
    }

    /// Moves question `index` one place up (`by: -1`) or down (`by: 1`); nothing at the ends.
    public mutating func move(_ index: Int, by offset: Int) {
        let target = index + offset
        guard questions.indices.contains(index), questions.indices.contains(target) else { return }
        questions.swapAt(index, target)
    }

    public mutating func remove(_ index: Int) {
        guard questions.indices.contains(index) else { return }
        questions.remove(at: index)
    }

    // MARK: To the API's fields

    /// The survey fields `SurveyService.update` takes. Numbers that do not read as numbers are passed as typed, so the
    /// service's error names them.
    public var fields: [String: JSONValue] {
        let codes = languageCodes
        func texts(_ values: [String: String]) -> JSONValue? {
            var object: [String: JSONValue] = [:]
            for code in codes {
                if let text = values[code]?.trimmed, !text.isEmpty { object[code] = .string(text) }
            }
            return object.isEmpty ? nil : .object(object)
        }
        func number(_ raw: String) -> JSONValue {
            let trimmed = raw.trimmed
            return Double(trimmed).map { JSONValue.number($0) } ?? .string(trimmed)
        }
        let questions: [JSONValue] = questions.map { draft in
            var fields: [String: JSONValue] = ["id": .string(draft.id), "type": .string(draft.type), "required": .bool(draft.required)]
            fields["text"] = texts(draft.text)
            let type = QuestionType(rawValue: draft.type)
            if type?.isScored == true {
                fields["low_label"] = texts(draft.lowLabel)
                fields["high_label"] = texts(draft.highLabel)
            }
            if type == .csat { fields["scale"] = .string(draft.scale.isEmpty ? CSATScale.five.rawValue : draft.scale) }
            if type == .rating, !draft.max.trimmed.isEmpty { fields["max"] = number(draft.max) }
            if type == .singleChoice || type == .multipleChoice {
                fields["options"] = .array(draft.options.map { option in
                    var choice: [String: JSONValue] = ["id": .string(option.id)]
                    choice["text"] = texts(option.text)
                    return .object(choice)
                })
            }
            if !draft.showQuestion.isEmpty {
                var rule: [String: JSONValue] = ["question": .string(draft.showQuestion)]
                let equals = draft.showEquals.split(separator: ",").map { String($0).trimmed }.filter { !$0.isEmpty }
                if !draft.showBands.isEmpty {
                    rule["band"] = .array(draft.showBands.map { .string($0) })
                } else if !equals.isEmpty {
                    rule["equals"] = .array(equals.map { .string($0) })
                } else {
                    if !draft.showMin.trimmed.isEmpty { rule["min"] = number(draft.showMin) }
                    if !draft.showMax.trimmed.isEmpty { rule["max"] = number(draft.showMax) }
                }
                fields["show_if"] = .object(rule)
            }
            return .object(fields)
        }
        var settings: [String: JSONValue] = [
            "once_per_person": .bool(oncePerPerson),
            "min_days_between": minDaysBetween.trimmed.isEmpty ? .null : number(minDaysBetween),
            "reminder_after_days": reminderAfterDays.trimmed.isEmpty ? .null : number(reminderAfterDays),
        ]
        if !editWindowHours.trimmed.isEmpty { settings["edit_window_hours"] = number(editWindowHours) }
        if !maxReminders.trimmed.isEmpty { settings["max_reminders"] = number(maxReminders) }
        var followUp: [String: JSONValue] = ["enabled": .bool(followUpEnabled)]
        // Switched off with no band ticked keeps the stored bands; switched on, none ticked is the service's error.
        if followUpEnabled || !followUpBands.isEmpty { followUp["bands"] = .array(followUpBands.map { .string($0) }) }
        if !followUpDueHours.trimmed.isEmpty { followUp["due_hours"] = number(followUpDueHours) }
        settings["follow_up"] = .object(followUp)
        return ["name": .string(name), "languages": .array(codes.map { .string($0) }), "questions": .array(questions),
                "settings": .object(settings)]
    }
}
