/// One automation rule: when `trigger` happens to a customer, if `condition` holds for them, after `delaySeconds`,
/// run `actions`; at most `maxRunsPerCustomer` times per customer in `customerWindowHours` and `maxRunsPerHour`
/// times in all per hour (docs/automation.md).
public struct AutomationRule: Sendable, Equatable {
    public var id: String
    public var workspaceId: String
    public var name: String
    /// False while paused: no new runs, and scheduled runs are skipped.
    public var enabled: Bool
    public var trigger: RuleTrigger
    /// A segment rule over the customer's traits, events and orders, evaluated when the trigger fires; nil: always.
    public var condition: SegmentRule?
    public var delaySeconds: Int
    public var actions: [RuleAction]
    public var maxRunsPerCustomer: Int
    public var customerWindowHours: Int
    public var maxRunsPerHour: Int
    public var createdAt: Int64
    public var updatedAt: Int64

    public static let maxDelaySeconds = 30 * 86_400
    public static let defaultMaxRunsPerCustomer = 1
    public static let defaultCustomerWindowHours = 24
    public static let defaultMaxRunsPerHour = 1_000

    public init(id: String, workspaceId: String, name: String, enabled: Bool = true, trigger: RuleTrigger,
                condition: SegmentRule? = nil, delaySeconds: Int = 0, actions: [RuleAction],
                maxRunsPerCustomer: Int = AutomationRule.defaultMaxRunsPerCustomer,
                customerWindowHours: Int = AutomationRule.defaultCustomerWindowHours,
                maxRunsPerHour: Int = AutomationRule.defaultMaxRunsPerHour, createdAt: Int64, updatedAt: Int64) {
        self.id = id
        self.workspaceId = workspaceId
        self.name = name
        self.enabled = enabled
        self.trigger = trigger
        self.condition = condition
        self.delaySeconds = delaySeconds
        self.actions = actions
        self.maxRunsPerCustomer = maxRunsPerCustomer
        self.customerWindowHours = customerWindowHours
        self.maxRunsPerHour = maxRunsPerHour
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The fields a client may send, on create (all but `name`, `trigger` and `actions` optional) and update.
    public static let fields: Set<String> = ["name", "enabled", "trigger", "condition", "delay_seconds", "actions",
                                             "max_runs_per_customer", "customer_window_hours", "max_runs_per_hour"]

    /// Applies the given JSON fields to the rule, validating each; errors name the field's JSON path.
    public mutating func apply(_ fields: [String: JSONValue]) throws(RapportError) {
        try Validation.knownFields(fields, allowed: Self.fields, of: "a rule")
        if let raw = fields["name"] { name = try Validation.name(raw.stringValue ?? "") }
        if let raw = fields["enabled"] {
            guard let value = raw.boolValue else { throw RapportError.invalid("enabled", "enabled must be true or false.") }
            enabled = value
        }
        if let raw = fields["trigger"] { trigger = try RuleTrigger.parse(raw) }
        if let raw = fields["condition"] { condition = try raw.isNull ? nil : SegmentRule.parse(raw, path: "condition", allowSegments: true) }
        if let raw = fields["delay_seconds"] { delaySeconds = try Validation.integer(raw, "delay_seconds", 0...Self.maxDelaySeconds) }
        if let raw = fields["actions"] { actions = try RuleAction.parseList(raw) }
        if let raw = fields["max_runs_per_customer"] { maxRunsPerCustomer = try Validation.integer(raw, "max_runs_per_customer", 1...1_000) }
        if let raw = fields["customer_window_hours"] { customerWindowHours = try Validation.integer(raw, "customer_window_hours", 1...8_760) }
        if let raw = fields["max_runs_per_hour"] { maxRunsPerHour = try Validation.integer(raw, "max_runs_per_hour", 1...100_000) }
    }
}

/// Where a run is: `scheduled` until its time comes, then `completed`, `skipped` (with a reason) or `failed`.
public enum AutomationRunState: String, Sendable, CaseIterable {
    case scheduled, completed, skipped, failed
}

/// Why a run did nothing.
public enum AutomationSkipReason: String, Sendable, CaseIterable {
    /// The rule's condition did not hold for the customer when the trigger fired.
    case conditionNotMet = "condition_not_met"
    /// The rule had run as often as its limits allow (per customer or per hour).
    case rateLimited = "rate_limited"
    /// The rule was paused (or deleted) before the run's time came.
    case rulePaused = "rule_paused"
    /// The customer was erased before the run's time came.
    case customerErased = "customer_erased"
}

/// One firing of a rule for one customer, recorded whatever its outcome.
public struct AutomationRun: Sendable, Equatable {
    public var id: String
    public var workspaceId: String
    public var ruleId: String
    public var customerId: String
    /// What fired it (`TriggerOccurrence.json`).
    public var trigger: JSONValue
    public var state: AutomationRunState
    public var reason: AutomationSkipReason?
    public var error: String?
    /// Makes the evaluation idempotent: the evaluate job's id, the occurrence's index and the rule's id.
    public var dedupeKey: String
    public var createdAt: Int64
    /// When its actions are due.
    public var runAt: Int64
    public var finishedAt: Int64?

    public init(id: String, workspaceId: String, ruleId: String, customerId: String, trigger: JSONValue,
                state: AutomationRunState, reason: AutomationSkipReason? = nil, error: String? = nil, dedupeKey: String,
                createdAt: Int64, runAt: Int64, finishedAt: Int64? = nil) {
        self.id = id
        self.workspaceId = workspaceId
        self.ruleId = ruleId
        self.customerId = customerId
        self.trigger = trigger
        self.state = state
        self.reason = reason
        self.error = error
        self.dedupeKey = dedupeKey
        self.createdAt = createdAt
        self.runAt = runAt
        self.finishedAt = finishedAt
    }
}

/// Rules and their runs. Every call is scoped to one workspace.
public protocol AutomationRepository: Sendable {
    func insert(_ rule: AutomationRule) async throws
    func update(_ rule: AutomationRule) async throws
    /// Deletes the rule and its runs.
    func delete(workspaceId: String, id: String) async throws
    func find(workspaceId: String, id: String) async throws -> AutomationRule?
    func list(workspaceId: String, page: PageRequest) async throws -> Page<AutomationRule>
    /// Every rule of the workspace, enabled or not (a workspace has tens of rules, not thousands).
    func all(workspaceId: String) async throws -> [AutomationRule]
    /// The enabled rules listening for `kinds`.
    func enabled(workspaceId: String, kinds: Set<RuleTrigger.Kind>) async throws -> [AutomationRule]
    /// What the workspace's enabled rules listen for: one small read, on the hot path of every write that may
    /// trigger a rule.
    func enabledTriggers(workspaceId: String) async throws -> Set<TriggerKey>
    /// Adds a run; false (and nothing added) when a run with its dedupe key exists.
    func insert(_ run: AutomationRun) async throws -> Bool
    func update(_ run: AutomationRun) async throws
    func run(workspaceId: String, id: String) async throws -> AutomationRun?
    /// A rule's runs, newest first.
    func runs(workspaceId: String, ruleId: String, page: PageRequest) async throws -> Page<AutomationRun>
    /// A customer's runs, newest first (for the export).
    func runs(workspaceId: String, customerId: String) async throws -> [AutomationRun]
    /// Holds the rules' run limits until the transaction ends, so that two transactions cannot both count a rule's
    /// runs below its limit and both add one (PostgreSQL: advisory transaction locks, taken in the order of the ids;
    /// SQLite's single writer already serialises).
    func lockRunLimits(workspaceId: String, ruleIds: [String]) async throws
    /// Runs of a rule that were not skipped, created at or after `since`, for one customer or (nil) all.
    func countRuns(workspaceId: String, ruleId: String, customerId: String?, since: Int64) async throws -> Int
    /// The newest run of each rule named.
    func lastRuns(workspaceId: String, ruleIds: [String]) async throws -> [String: AutomationRun]
}

extension AutomationRun {
    /// The API's and the export's form of a run.
    public var json: JSONValue {
        ["id": .string(id), "rule_id": .string(ruleId), "customer_id": .string(customerId), "trigger": trigger,
         "state": .string(state.rawValue), "reason": JSONValue(reason?.rawValue), "error": JSONValue(error),
         "created_at": .string(Timestamp.iso8601(createdAt)), "run_at": .string(Timestamp.iso8601(runAt)),
         "finished_at": JSONValue(finishedAt.map(Timestamp.iso8601))]
    }

    var exportJSON: JSONValue { json }
}
