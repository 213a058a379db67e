/// The kinds of question a survey asks. The scored ones (`nps`, `csat`, `ces`, `rating`) carry a number; the first
/// question of a survey, when scored, is its headline score (the one-click links of an email invitation).
public enum QuestionType: String, Sendable, CaseIterable, Codable {
    /// Net Promoter Score: "How likely are you to recommend …?", 0–10.
    case nps
    /// Customer satisfaction on a `CSATScale`.
    case csat
    /// Customer effort: agreement with "The company made it easy to handle my issue", 1 (strongly disagree) – 7.
    case ces
    /// Stars or points from 1 to `max` (3–10).
    case rating
    case singleChoice = "single_choice"
    case multipleChoice = "multiple_choice"
    case text

    public var isScored: Bool { [.nps, .csat, .ces, .rating].contains(self) }
}

/// The scales a CSAT question offers. Values are stored as numbers: `thumbs` is 1 (down) or 2 (up); `faces` is 1
/// (very unhappy) to 5 (very happy).
public enum CSATScale: String, Sendable, CaseIterable, Codable {
    case five = "1-5"
    case seven = "1-7"
    case ten = "1-10"
    case thumbs
    case faces

    public var range: ClosedRange<Int> {
        switch self {
        case .five, .faces: 1...5
        case .seven: 1...7
        case .ten: 1...10
        case .thumbs: 1...2
        }
    }
}

/// Where a score falls. NPS: detractor 0–6, passive 7–8, promoter 9–10 (Reichheld, 2003). CSAT: the bottom two values
/// of its scale are negative, the top two positive (the "top-two-box" satisfied share), thumbs down/up negative and
/// positive. CES (1–7): 1–3 negative, 4 neutral, 5–7 positive (agreement that it was easy). Ratings have no band.
public enum ScoreBand: String, Sendable, CaseIterable, Codable {
    case detractor, passive, promoter
    case negative, neutral, positive
}

/// One question of a survey version. Texts are per language (`SurveyDefinition.languages`); the default language's
/// text is required, the others fall back to it.
public struct SurveyQuestion: Sendable, Equatable {
    /// Names the question in answers, logic and exports: `^[a-z][a-z0-9_]{0,39}$`, unique in the survey.
    public var id: String
    public var type: QuestionType
    public var required: Bool
    /// The question, by language code.
    public var text: [String: String]
    /// Labels of the two ends of a scale ("Not at all likely", "Extremely likely"), by language.
    public var lowLabel: [String: String]
    public var highLabel: [String: String]
    /// `csat` only.
    public var csatScale: CSATScale?
    /// `rating` only: the highest value (3–10).
    public var ratingMax: Int?
    /// `single_choice` and `multiple_choice`: 2–20 options.
    public var options: [SurveyOption]
    /// Shown only when this holds for an earlier answer; nil: always shown.
    public var showIf: SurveyShowIf?

    public init(id: String, type: QuestionType, required: Bool = false, text: [String: String],
                lowLabel: [String: String] = [:], highLabel: [String: String] = [:], csatScale: CSATScale? = nil,
                ratingMax: Int? = nil, options: [SurveyOption] = [], showIf: SurveyShowIf? = nil) {
        self.id = id
        self.type = type
        self.required = required
        self.text = text
        self.lowLabel = lowLabel
        self.highLabel = highLabel
        self.csatScale = csatScale
        self.ratingMax = ratingMax
        self.options = options
        self.showIf = showIf
    }

    public static let maxTextLength = 1_000
    public static let maxAnswerLength = 5_000

    /// The values a scored question accepts.
    public var scoreRange: ClosedRange<Int>? {
        switch type {
        case .nps: 0...10
        case .csat: (csatScale ?? .five).range
        case .ces: 1...7
        case .rating: 1...(ratingMax ?? 5)
        default: nil
        }
    }

    /// The band of `score` for this question, or nil (ratings, other types, a value off the scale).
    public func band(of score: Int) -> ScoreBand? {
        guard let range = scoreRange, range.contains(score) else { return nil }
        switch type {
        case .nps: return score <= 6 ? .detractor : score <= 8 ? .passive : .promoter
        case .ces: return score <= 3 ? .negative : score == 4 ? .neutral : .positive
        case .csat:
            if csatScale == .thumbs { return score == 1 ? .negative : .positive }
            if score <= range.lowerBound + 1 { return .negative }
            if score >= range.upperBound - 1 { return .positive }
            return .neutral
        default: return nil
        }
    }

    /// The bands this question's scores fall into (what `show_if.band` may name).
    public var bands: [ScoreBand] {
        switch type {
        case .nps: [.detractor, .passive, .promoter]
        case .ces: [.negative, .neutral, .positive]
        case .csat: csatScale == .thumbs ? [.negative, .positive] : [.negative, .neutral, .positive]
        default: []
        }
    }

    /// Checks an answer and returns it in its stored form (a whole number for scores, an option id or a list of them,
    /// a trimmed text); errors name `field`.
    public func validate(_ answer: JSONValue, field: String) throws(RapportError) -> JSONValue {
        if let range = scoreRange {
            guard let number = answer.numberValue ?? answer.stringValue.flatMap(Double.init), number == number.rounded(),
                  number >= Double(range.lowerBound), number <= Double(range.upperBound) else {
                throw RapportError.invalid(field, "\(field) must be a whole number from \(range.lowerBound) to \(range.upperBound).")
            }
            return .number(number)
        }
        switch type {
        case .singleChoice:
            guard let id = answer.stringValue, options.contains(where: { $0.id == id }) else {
                throw RapportError.invalid(field, "\(field) must be one of: \(options.map(\.id).joined(separator: ", ")).")
            }
            return .string(id)
        case .multipleChoice:
            let chosen = answer.arrayValue?.compactMap(\.stringValue) ?? answer.stringValue.map { [$0] } ?? []
            guard !chosen.isEmpty, chosen.count == (answer.arrayValue?.count ?? 1),
                  chosen.allSatisfy({ id in options.contains { $0.id == id } }) else {
                throw RapportError.invalid(field, "\(field) must be a list of: \(options.map(\.id).joined(separator: ", ")).")
            }
            // In the survey's order, each once.
            return .array(options.map(\.id).filter(chosen.contains).map { .string($0) })
        default:
            guard let text = answer.stringValue?.trimmed, !text.isEmpty, text.unicodeScalars.count <= Self.maxAnswerLength else {
                throw RapportError.invalid(field, "\(field) must be a text of 1–\(Self.maxAnswerLength) characters.")
            }
            return .string(text)
        }
    }
}

/// One choice of a choice question.
public struct SurveyOption: Sendable, Equatable {
    public var id: String
    public var text: [String: String]

    public init(id: String, text: [String: String]) {
        self.id = id
        self.text = text
    }
}

/// Simple logic: a question is shown when an earlier question's answer falls in a band, equals one of some values, or
/// lies between two numbers (either end optional).
public struct SurveyShowIf: Sendable, Equatable {
    public enum Test: Sendable, Equatable {
        case band([ScoreBand])
        case oneOf([JSONValue])
        case between(min: Double?, max: Double?)
    }

    public var question: String
    public var test: Test

    public init(question: String, test: Test) {
        self.question = question
        self.test = test
    }

    /// Whether the question is shown, given the answers so far (an unanswered question shows nothing that depends on it).
    public func holds(answers: [String: JSONValue], questions: [SurveyQuestion]) -> Bool {
        guard let answer = answers[question], let asked = questions.first(where: { $0.id == question }) else { return false }
        switch test {
        case .band(let bands):
            guard let number = answer.numberValue, let band = asked.band(of: Int(number)) else { return false }
            return bands.contains(band)
        case .oneOf(let values):
            if let chosen = answer.arrayValue { return chosen.contains(where: values.contains) }
            return values.contains(answer)
        case .between(let min, let max):
            guard let number = answer.numberValue else { return false }
            return (min.map { number >= $0 } ?? true) && (max.map { number <= $0 } ?? true)
        }
    }
}
