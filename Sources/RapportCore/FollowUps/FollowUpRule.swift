/// When a completed response opens a follow-up case (docs/surveys.md, "Closing the loop"): a response whose headline
/// score falls in one of `bands` (by default the unhappy ones: NPS detractors 0–6, CSAT's bottom two boxes, CES 1–3),
/// due `dueHours` after it was answered, owned by the agent who served when they are a member of the workspace, else
/// by `defaultOwnerId`, else by nobody until someone takes it.
public struct FollowUpRule: Sendable, Equatable {
    public var enabled: Bool
    public var bands: [ScoreBand]
    public var dueHours: Int
    /// A member's user id; checked when a case is opened (a user no longer a member leaves the case unassigned).
    public var defaultOwnerId: String?
    /// When set, a case resolved with a customer sends them a survey this many hours later, to measure whether their
    /// view changed; nil sends none.
    public var resurveyAfterHours: Int?
    /// The survey sent then; nil for the survey that opened the case.
    public var resurveySurveyId: String?

    public static let defaultBands: [ScoreBand] = [.detractor, .negative]
    public static let defaultDueHours = 48

    public init(enabled: Bool = true, bands: [ScoreBand] = FollowUpRule.defaultBands,
                dueHours: Int = FollowUpRule.defaultDueHours, defaultOwnerId: String? = nil, resurveyAfterHours: Int? = nil,
                resurveySurveyId: String? = nil) {
        self.enabled = enabled
        self.bands = bands
        self.dueHours = dueHours
        self.defaultOwnerId = defaultOwnerId
        self.resurveyAfterHours = resurveyAfterHours
        self.resurveySurveyId = resurveySurveyId
    }

    /// Whether a response with this band opens a case.
    public func opens(for band: ScoreBand?) -> Bool {
        guard enabled, let band else { return false }
        return bands.contains(band)
    }

    static let keys: Set<String> = ["enabled", "bands", "due_hours", "default_owner_id", "resurvey_after_hours", "resurvey_survey_id"]

    /// Applies the given fields; errors name `settings.follow_up.<field>`.
    mutating func apply(_ raw: JSONValue) throws(RapportError) {
        let prefix = "settings.follow_up"
        guard let fields = raw.objectValue else { throw RapportError.invalid(prefix, "\(prefix) must be an object.") }
        if let unknown = fields.keys.sorted().first(where: { !Self.keys.contains($0) }) {
            throw RapportError.invalid("\(prefix).\(unknown)",
                                       "\(unknown) is not a follow-up setting; allowed: \(Self.keys.sorted().joined(separator: ", ")).")
        }
        if let value = fields["enabled"] {
            guard let flag = value.boolValue else { throw RapportError.invalid("\(prefix).enabled", "\(prefix).enabled must be true or false.") }
            enabled = flag
        }
        if let value = fields["bands"] {
            let allowed = ScoreBand.allCases.map(\.rawValue).joined(separator: ", ")
            guard let list = value.arrayValue, !list.isEmpty, list.count <= ScoreBand.allCases.count else {
                throw RapportError.invalid("\(prefix).bands", "\(prefix).bands must list one or more of: \(allowed).")
            }
            var bands: [ScoreBand] = []
            for item in list {
                guard let band = item.stringValue.flatMap(ScoreBand.init(rawValue:)) else {
                    throw RapportError.invalid("\(prefix).bands", "\(prefix).bands must list one or more of: \(allowed).")
                }
                if !bands.contains(band) { bands.append(band) }
            }
            self.bands = bands
        }
        if let value = fields["due_hours"] {
            dueHours = try Validation.integer(value, "\(prefix).due_hours", 1...8_760)
        }
        if let value = fields["default_owner_id"] {
            if value.isNull {
                defaultOwnerId = nil
            } else {
                guard let id = value.stringValue, IDGenerator.isUUID(id) else {
                    throw RapportError.invalid("\(prefix).default_owner_id", "\(prefix).default_owner_id must be a member's user id or null.")
                }
                defaultOwnerId = id.lowercased()
            }
        }
        if let value = fields["resurvey_after_hours"] {
            resurveyAfterHours = value.isNull ? nil : try Validation.integer(value, "\(prefix).resurvey_after_hours", 0...720)
        }
        if let value = fields["resurvey_survey_id"] {
            if value.isNull {
                resurveySurveyId = nil
            } else {
                guard let id = value.stringValue, IDGenerator.isUUID(id) else {
                    throw RapportError.invalid("\(prefix).resurvey_survey_id",
                                               "\(prefix).resurvey_survey_id must be a survey id, or null for this survey.")
                }
                resurveySurveyId = id.lowercased()
            }
        }
    }

    public var json: JSONValue {
        ["enabled": .bool(enabled), "bands": .array(bands.map { .string($0.rawValue) }), "due_hours": JSONValue(dueHours),
         "default_owner_id": JSONValue(defaultOwnerId), "resurvey_after_hours": JSONValue(resurveyAfterHours),
         "resurvey_survey_id": JSONValue(resurveySurveyId)]
    }
}
