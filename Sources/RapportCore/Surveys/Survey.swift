/// Where a survey is in its life: `draft` (being built, sends nothing) → `active` (sends and accepts answers) ⇄
/// `paused` (sends nothing; answers to invitations already sent are still taken) → `closed` (final: nothing is sent
/// or accepted).
public enum SurveyStatus: String, Sendable, CaseIterable, Codable {
    case draft, active, paused, closed

    /// The states a survey may move to from this one.
    public var next: [SurveyStatus] {
        switch self {
        case .draft: [.active]
        case .active: [.paused, .closed]
        case .paused: [.active, .closed]
        case .closed: []
        }
    }
}

/// How often a survey may ask one person, on top of the workspace's recontact period (enforced when an invitation
/// is sent, across every survey and channel).
public struct SurveySettings: Sendable, Equatable {
    /// Ask each person at most once, ever.
    public var oncePerPerson: Bool
    /// At least this many days between two invitations of this survey to one person; nil: only the workspace's rule.
    public var minDaysBetween: Int?
    /// How long after finishing a response the customer may still change it (hours; 0: never).
    public var editWindowHours: Int
    /// Days after an email invitation (and after each reminder) to remind someone who has not answered; nil: never.
    public var reminderAfterDays: Int?
    /// At most this many reminders per invitation.
    public var maxReminders: Int
    /// Which completed responses open a follow-up case, when it is due and who owns it.
    public var followUp: FollowUpRule
    /// The web widget channel: whether and where the widget shows this survey.
    public var widget: SurveyWidgetRule

    public static let defaultEditWindowHours = 24

    public init(oncePerPerson: Bool = false, minDaysBetween: Int? = nil, editWindowHours: Int = SurveySettings.defaultEditWindowHours,
                reminderAfterDays: Int? = nil, maxReminders: Int = 1, followUp: FollowUpRule = FollowUpRule(),
                widget: SurveyWidgetRule = SurveyWidgetRule()) {
        self.oncePerPerson = oncePerPerson
        self.minDaysBetween = minDaysBetween
        self.editWindowHours = editWindowHours
        self.reminderAfterDays = reminderAfterDays
        self.maxReminders = maxReminders
        self.followUp = followUp
        self.widget = widget
    }

    static let keys: Set<String> = ["once_per_person", "min_days_between", "edit_window_hours", "reminder_after_days", "max_reminders",
                                    "follow_up", "widget"]

    /// Applies the given fields; errors name `settings.<field>`.
    mutating func apply(_ raw: JSONValue) throws(RapportError) {
        guard let fields = raw.objectValue else { throw RapportError.invalid("settings", "settings must be an object.") }
        if let unknown = fields.keys.sorted().first(where: { !Self.keys.contains($0) }) {
            throw RapportError.invalid("settings.\(unknown)", "\(unknown) is not a survey setting; allowed: \(Self.keys.sorted().joined(separator: ", ")).")
        }
        if let value = fields["once_per_person"] {
            guard let flag = value.boolValue else {
                throw RapportError.invalid("settings.once_per_person", "settings.once_per_person must be true or false.")
            }
            oncePerPerson = flag
        }
        if let value = fields["min_days_between"] {
            minDaysBetween = value.isNull ? nil : try Validation.integer(value, "settings.min_days_between", 1...3_650)
        }
        if let value = fields["edit_window_hours"] {
            editWindowHours = try Validation.integer(value, "settings.edit_window_hours", 0...8_760)
        }
        if let value = fields["reminder_after_days"] {
            reminderAfterDays = value.isNull ? nil : try Validation.integer(value, "settings.reminder_after_days", 1...60)
        }
        if let value = fields["max_reminders"] {
            maxReminders = try Validation.integer(value, "settings.max_reminders", 1...3)
        }
        if let value = fields["follow_up"] { try followUp.apply(value) }
        if let value = fields["widget"] { try widget.apply(value) }
    }

    public var json: JSONValue {
        ["once_per_person": .bool(oncePerPerson), "min_days_between": JSONValue(minDaysBetween),
         "edit_window_hours": JSONValue(editWindowHours), "reminder_after_days": JSONValue(reminderAfterDays),
         "max_reminders": JSONValue(maxReminders), "follow_up": followUp.json, "widget": widget.json]
    }

    public static func parse(stored: JSONValue) -> SurveySettings {
        var settings = SurveySettings()
        try? settings.apply(stored)
        return settings
    }
}

/// A survey and its current version. Earlier versions stay readable (`SurveyRepository.version`): every response
/// keeps the version it answered.
public struct Survey: Sendable, Equatable {
    public var id: String
    public var workspaceId: String
    public var name: String
    public var status: SurveyStatus
    /// The current version's number, from 1.
    public var version: Int
    public var definition: SurveyDefinition
    /// Whether the current version has been active: then a change to the questions or languages makes a new version.
    public var published: Bool
    public var settings: SurveySettings
    public var createdBy: String?
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(id: String, workspaceId: String, name: String, status: SurveyStatus = .draft, version: Int = 1,
                definition: SurveyDefinition, published: Bool = false, settings: SurveySettings = SurveySettings(),
                createdBy: String?, createdAt: Int64, updatedAt: Int64) {
        self.id = id
        self.workspaceId = workspaceId
        self.name = name
        self.status = status
        self.version = version
        self.definition = definition
        self.published = published
        self.settings = settings
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// One stored version of a survey's definition.
public struct SurveyVersion: Sendable, Equatable {
    public var surveyId: String
    public var version: Int
    public var definition: SurveyDefinition
    public var published: Bool
    public var createdAt: Int64

    public init(surveyId: String, version: Int, definition: SurveyDefinition, published: Bool, createdAt: Int64) {
        self.surveyId = surveyId
        self.version = version
        self.definition = definition
        self.published = published
        self.createdAt = createdAt
    }
}

/// Surveys and their versions. Every call is scoped to one workspace.
public protocol SurveyRepository: Sendable {
    /// Stores a new survey and its first version.
    func insert(_ survey: Survey) async throws
    /// Saves the survey's own fields (name, status, settings, current version number).
    func update(_ survey: Survey) async throws
    /// Adds a version (a change to a published survey).
    func insertVersion(workspaceId: String, _ version: SurveyVersion) async throws
    /// Rewrites a version not yet published (a draft being edited).
    func updateVersion(workspaceId: String, _ version: SurveyVersion) async throws
    /// Marks a version published (activated, or answered); nothing when it already is.
    func publish(workspaceId: String, surveyId: String, version: Int) async throws
    func find(workspaceId: String, id: String) async throws -> Survey?
    func version(workspaceId: String, surveyId: String, version: Int) async throws -> SurveyVersion?
    /// Newest first, optionally only those in `status`.
    func list(workspaceId: String, status: SurveyStatus?, page: PageRequest) async throws -> Page<Survey>
    /// Deletes a survey and its versions.
    func delete(workspaceId: String, id: String) async throws
}
