import Foundation

/// What a survey version asks, in which languages: immutable once a version has been published (activated), so that
/// every response keeps the meaning it was given.
public struct SurveyDefinition: Sendable, Equatable {
    /// Language codes (`en`, `fr`, `pt-BR`); the first is the default, the fallback for a customer whose `locale`
    /// matches none.
    public var languages: [String]
    public var questions: [SurveyQuestion]

    public init(languages: [String], questions: [SurveyQuestion]) {
        self.languages = languages
        self.questions = questions
    }

    public static let maxQuestions = 30
    public static let maxLanguages = 20

    public var defaultLanguage: String { languages.first ?? "en" }

    /// The first question, when it is scored: the survey's headline score.
    public var primaryQuestion: SurveyQuestion? { questions.first.flatMap { $0.type.isScored ? $0 : nil } }

    /// The language to ask a customer in: their `locale` exactly (`fr-CA`), else its language (`fr`), else the default.
    public func language(forLocale locale: String?) -> String {
        guard let locale = locale?.replacingOccurrences(of: "_", with: "-").lowercased(), !locale.isEmpty else { return defaultLanguage }
        if let exact = languages.first(where: { $0.lowercased() == locale }) { return exact }
        let primary = locale.split(separator: "-").first.map(String.init) ?? locale
        if let base = languages.first(where: { $0.lowercased() == primary }) { return base }
        if let regional = languages.first(where: { $0.lowercased().hasPrefix(primary + "-") }) { return regional }
        return defaultLanguage
    }

    /// `text` in `language`, else in the default language.
    public func localized(_ text: [String: String], _ language: String) -> String {
        text[language] ?? text[defaultLanguage] ?? text.values.first ?? ""
    }

    /// The questions shown given the answers so far, in order.
    public func visibleQuestions(answers: [String: JSONValue]) -> [SurveyQuestion] {
        questions.filter { $0.showIf?.holds(answers: answers, questions: questions) ?? true }
    }

    // MARK: JSON

    /// Parses `languages` (optional: `["en"]`) and `questions`; every error names its JSON path.
    public static func parse(languages rawLanguages: JSONValue?, questions rawQuestions: JSONValue?) throws(RapportError) -> SurveyDefinition {
        var languages = ["en"]
        if let raw = rawLanguages, !raw.isNull {
            guard let items = raw.arrayValue, !items.isEmpty, items.count <= maxLanguages else {
                throw RapportError.invalid("languages", "languages must be a list of 1–\(maxLanguages) language codes; the first is the default.")
            }
            languages = []
            for (index, item) in items.enumerated() {
                guard let code = item.stringValue?.trimmed, isLanguageCode(code) else {
                    throw RapportError.invalid("languages[\(index)]", "languages[\(index)] must be a language code such as en, fr or pt-BR.")
                }
                guard !languages.contains(where: { $0.lowercased() == code.lowercased() }) else {
                    throw RapportError.invalid("languages[\(index)]", "languages[\(index)] repeats \(code).")
                }
                languages.append(code)
            }
        }
        guard let items = rawQuestions?.arrayValue, !items.isEmpty, items.count <= maxQuestions else {
            throw RapportError.invalid("questions", "questions must be a list of 1–\(maxQuestions) questions.")
        }
        var questions: [SurveyQuestion] = []
        for (index, item) in items.enumerated() {
            let question = try parseQuestion(item, path: "questions[\(index)]", languages: languages, earlier: questions)
            questions.append(question)
        }
        return SurveyDefinition(languages: languages, questions: questions)
    }

    static func isLanguageCode(_ code: String) -> Bool {
        let parts = code.split(separator: "-", omittingEmptySubsequences: false)
        guard let first = parts.first, (2...3).contains(first.count), first.allSatisfy({ $0.isASCII && $0.isLetter }) else { return false }
        return parts.dropFirst().allSatisfy { (2...8).contains($0.count) && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } }
    }

    static let questionKeys: Set<String> = ["id", "type", "required", "text", "low_label", "high_label", "scale", "max", "options", "show_if"]

    static func parseQuestion(_ json: JSONValue, path: String, languages: [String], earlier: [SurveyQuestion]) throws(RapportError)
        -> SurveyQuestion {
        guard let fields = json.objectValue else { throw RapportError.invalid(path, "\(path) must be an object.") }
        try Validation.knownFields(fields, allowed: questionKeys, of: "a question", path: path)
        guard let id = fields["id"]?.stringValue, isIdentifier(id) else {
            throw RapportError.invalid("\(path).id", "\(path).id must be 1–40 lower-case letters, digits or _, starting with a letter.")
        }
        guard !earlier.contains(where: { $0.id == id }) else {
            throw RapportError.invalid("\(path).id", "\(path).id repeats the id \(id) of an earlier question.")
        }
        guard let rawType = fields["type"]?.stringValue, let type = QuestionType(rawValue: rawType) else {
            throw RapportError.invalid("\(path).type", "\(path).type must be one of: \(QuestionType.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        var required = false
        if let raw = fields["required"], !raw.isNull {
            guard let value = raw.boolValue else { throw RapportError.invalid("\(path).required", "\(path).required must be true or false.") }
            required = value
        }
        var question = SurveyQuestion(id: id, type: type, required: required,
                                      text: try texts(fields["text"], path: "\(path).text", languages: languages, required: true))
        question.lowLabel = try texts(fields["low_label"], path: "\(path).low_label", languages: languages, required: false)
        question.highLabel = try texts(fields["high_label"], path: "\(path).high_label", languages: languages, required: false)
        if (!question.lowLabel.isEmpty || !question.highLabel.isEmpty), !type.isScored {
            throw RapportError.invalid("\(path).low_label", "Only scored questions (nps, csat, ces, rating) have scale labels.")
        }
        if let raw = fields["scale"], !raw.isNull {
            guard type == .csat else { throw RapportError.invalid("\(path).scale", "Only csat questions have a scale.") }
            guard let scale = raw.stringValue.flatMap(CSATScale.init(rawValue:)) else {
                throw RapportError.invalid("\(path).scale", "\(path).scale must be one of: \(CSATScale.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            question.csatScale = scale
        } else if type == .csat {
            question.csatScale = .five
        }
        if let raw = fields["max"], !raw.isNull {
            guard type == .rating else { throw RapportError.invalid("\(path).max", "Only rating questions have a max.") }
            question.ratingMax = try Validation.integer(raw, "\(path).max", 3...10)
        } else if type == .rating {
            question.ratingMax = 5
        }
        let isChoice = type == .singleChoice || type == .multipleChoice
        if let raw = fields["options"], !raw.isNull {
            guard isChoice else { throw RapportError.invalid("\(path).options", "Only choice questions have options.") }
            question.options = try options(raw, path: "\(path).options", languages: languages)
        } else if isChoice {
            throw RapportError.invalid("\(path).options", "\(path).options is required: 2–20 choices.")
        }
        if let raw = fields["show_if"], !raw.isNull {
            question.showIf = try showIf(raw, path: "\(path).show_if", earlier: earlier)
        }
        return question
    }

    static func isIdentifier(_ id: String) -> Bool {
        guard let first = id.unicodeScalars.first, (1...40).contains(id.unicodeScalars.count), ("a"..."z").contains(first) else { return false }
        return id.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    /// A text in each language: one string (the default language's) or an object of language → string.
    static func texts(_ raw: JSONValue?, path: String, languages: [String], required: Bool) throws(RapportError) -> [String: String] {
        guard let raw, !raw.isNull else {
            if required { throw RapportError.invalid(path, "\(path) is required.") }
            return [:]
        }
        let defaultLanguage = languages.first ?? "en"
        var result: [String: String] = [:]
        if let single = raw.stringValue {
            result[defaultLanguage] = single
        } else if let byLanguage = raw.objectValue {
            for (language, value) in byLanguage {
                guard let known = languages.first(where: { $0.lowercased() == language.lowercased() }) else {
                    throw RapportError.invalid("\(path).\(language)", "\(language) is not one of the survey's languages (\(languages.joined(separator: ", "))).")
                }
                guard let text = value.stringValue else { throw RapportError.invalid("\(path).\(language)", "\(path).\(language) must be a text.") }
                result[known] = text
            }
        } else {
            throw RapportError.invalid(path, "\(path) must be a text, or an object of language codes to texts.")
        }
        for (language, text) in result {
            let trimmed = text.trimmed
            guard !trimmed.isEmpty, trimmed.unicodeScalars.count <= SurveyQuestion.maxTextLength else {
                throw RapportError.invalid("\(path).\(language)", "\(path).\(language) must be 1–\(SurveyQuestion.maxTextLength) characters.")
            }
            result[language] = trimmed
        }
        if (required || !result.isEmpty), result[defaultLanguage] == nil {
            throw RapportError.invalid("\(path).\(defaultLanguage)", "\(path) needs a text in the default language, \(defaultLanguage).")
        }
        return result
    }

    static func options(_ raw: JSONValue, path: String, languages: [String]) throws(RapportError) -> [SurveyOption] {
        guard let items = raw.arrayValue, (2...20).contains(items.count) else {
            throw RapportError.invalid(path, "\(path) must be a list of 2–20 choices.")
        }
        var options: [SurveyOption] = []
        for (index, item) in items.enumerated() {
            let itemPath = "\(path)[\(index)]"
            guard let fields = item.objectValue, let id = fields["id"]?.stringValue, isIdentifier(id) else {
                throw RapportError.invalid("\(itemPath).id", "\(itemPath).id must be 1–40 lower-case letters, digits or _, starting with a letter.")
            }
            guard !options.contains(where: { $0.id == id }) else { throw RapportError.invalid("\(itemPath).id", "\(itemPath).id repeats \(id).") }
            if let unknown = fields.keys.sorted().first(where: { $0 != "id" && $0 != "text" }) {
                throw RapportError.invalid("\(itemPath).\(unknown)", "A choice has only an id and a text.")
            }
            options.append(SurveyOption(id: id, text: try texts(fields["text"], path: "\(itemPath).text", languages: languages, required: true)))
        }
        return options
    }

    static func showIf(_ raw: JSONValue, path: String, earlier: [SurveyQuestion]) throws(RapportError) -> SurveyShowIf {
        guard let fields = raw.objectValue, let target = fields["question"]?.stringValue else {
            throw RapportError.invalid("\(path).question", "\(path) must name an earlier question: {\"question\": …, \"band\" | \"equals\" | \"min\"/\"max\": …}.")
        }
        guard let asked = earlier.first(where: { $0.id == target }) else {
            throw RapportError.invalid("\(path).question", "\(path).question must be the id of an earlier question.")
        }
        let tests = ["band", "equals", "min", "max"].filter { fields[$0] != nil }
        if let unknown = fields.keys.sorted().first(where: { $0 != "question" && !tests.contains($0) }) {
            throw RapportError.invalid("\(path).\(unknown)", "\(unknown) is not a test; use band, equals, or min and max.")
        }
        if tests.contains("band") {
            guard tests == ["band"] else { throw RapportError.invalid(path, "\(path) has one test: band, equals, or min and max.") }
            let names = fields["band"]?.arrayValue?.compactMap(\.stringValue) ?? fields["band"]?.stringValue.map { [$0] } ?? []
            let bands = names.compactMap(ScoreBand.init(rawValue:))
            guard !bands.isEmpty, bands.count == names.count, bands.allSatisfy(asked.bands.contains) else {
                let allowed = asked.bands.map(\.rawValue).joined(separator: ", ")
                throw RapportError.invalid("\(path).band", asked.bands.isEmpty
                    ? "Question \(target) has no score bands; use equals, or min and max."
                    : "\(path).band must be one or more of: \(allowed).")
            }
            return SurveyShowIf(question: target, test: .band(bands))
        }
        if tests.contains("equals") {
            guard tests == ["equals"], let raw = fields["equals"] else {
                throw RapportError.invalid(path, "\(path) has one test: band, equals, or min and max.")
            }
            let values = raw.arrayValue ?? [raw]
            guard !values.isEmpty else { throw RapportError.invalid("\(path).equals", "\(path).equals must name a value.") }
            var checked: [JSONValue] = []
            for value in values { checked.append(try asked.validate(value, field: "\(path).equals")) }
            return SurveyShowIf(question: target, test: .oneOf(checked.flatMap { $0.arrayValue ?? [$0] }))
        }
        guard !tests.isEmpty, asked.scoreRange != nil else {
            throw RapportError.invalid(path, asked.scoreRange == nil ? "min and max apply to scored questions only." : "\(path) needs a test: band, equals, or min and max.")
        }
        func bound(_ key: String) throws(RapportError) -> Double? {
            guard let raw = fields[key], !raw.isNull else { return nil }
            guard let number = raw.numberValue else { throw RapportError.invalid("\(path).\(key)", "\(path).\(key) must be a number.") }
            return number
        }
        return SurveyShowIf(question: target, test: .between(min: try bound("min"), max: try bound("max")))
    }

    public var json: JSONValue {
        ["languages": .array(languages.map { .string($0) }), "questions": .array(questions.map(\.json))]
    }
}

extension SurveyQuestion {
    public var json: JSONValue {
        var fields: [String: JSONValue] = [
            "id": .string(id), "type": .string(type.rawValue), "required": .bool(required), "text": Self.textJSON(text),
        ]
        if !lowLabel.isEmpty { fields["low_label"] = Self.textJSON(lowLabel) }
        if !highLabel.isEmpty { fields["high_label"] = Self.textJSON(highLabel) }
        if let csatScale { fields["scale"] = .string(csatScale.rawValue) }
        if let ratingMax { fields["max"] = JSONValue(ratingMax) }
        if !options.isEmpty { fields["options"] = .array(options.map { ["id": .string($0.id), "text": Self.textJSON($0.text)] }) }
        if let showIf { fields["show_if"] = showIf.json }
        return .object(fields)
    }

    static func textJSON(_ text: [String: String]) -> JSONValue { .object(text.mapValues { .string($0) }) }
}

extension SurveyShowIf {
    public var json: JSONValue {
        var fields: [String: JSONValue] = ["question": .string(question)]
        switch test {
        case .band(let bands): fields["band"] = .array(bands.map { .string($0.rawValue) })
        case .oneOf(let values): fields["equals"] = .array(values)
        case .between(let min, let max):
            if let min { fields["min"] = .number(min) }
            if let max { fields["max"] = .number(max) }
        }
        return .object(fields)
    }
}
