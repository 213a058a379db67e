import RapportCore
import SQLKit

struct SQLAutomationRepository: AutomationRepository {
    let db: any SQLDatabase

    static let ruleColumns = """
        workspace_id, id, name, enabled, trigger_kind, trigger_key, trigger_spec, condition_rule, delay_seconds, actions, \
        max_runs_per_customer, customer_window_hours, max_runs_per_hour, created_at, updated_at
        """
    static let runColumns = """
        workspace_id, id, rule_id, customer_id, trigger_summary, state, reason, error, dedupe_key, created_at, run_at, finished_at
        """

    func insert(_ rule: AutomationRule) async throws {
        try await db.raw("""
            INSERT INTO automation_rules (\(unsafeRaw: Self.ruleColumns))
            VALUES (\(bind: rule.workspaceId), \(bind: rule.id), \(bind: rule.name), \(bind: rule.enabled ? 1 : 0),
                    \(bind: rule.trigger.kind.rawValue), \(bind: rule.trigger.key), \(bind: rule.trigger.json.jsonText),
                    \(bind: rule.condition?.json.jsonText), \(bind: rule.delaySeconds),
                    \(bind: JSONValue.array(rule.actions.map(\.json)).jsonText), \(bind: rule.maxRunsPerCustomer),
                    \(bind: rule.customerWindowHours), \(bind: rule.maxRunsPerHour), \(bind: rule.createdAt), \(bind: rule.updatedAt))
            """).run()
    }

    func update(_ rule: AutomationRule) async throws {
        try await db.raw("""
            UPDATE automation_rules SET name = \(bind: rule.name), enabled = \(bind: rule.enabled ? 1 : 0),
                trigger_kind = \(bind: rule.trigger.kind.rawValue), trigger_key = \(bind: rule.trigger.key),
                trigger_spec = \(bind: rule.trigger.json.jsonText), condition_rule = \(bind: rule.condition?.json.jsonText),
                delay_seconds = \(bind: rule.delaySeconds), actions = \(bind: JSONValue.array(rule.actions.map(\.json)).jsonText),
                max_runs_per_customer = \(bind: rule.maxRunsPerCustomer), customer_window_hours = \(bind: rule.customerWindowHours),
                max_runs_per_hour = \(bind: rule.maxRunsPerHour), updated_at = \(bind: rule.updatedAt)
            WHERE workspace_id = \(bind: rule.workspaceId) AND id = \(bind: rule.id)
            """).run()
    }

    func delete(workspaceId: String, id: String) async throws {
        try await db.raw("DELETE FROM automation_runs WHERE workspace_id = \(bind: workspaceId) AND rule_id = \(bind: id)").run()
        try await db.raw("DELETE FROM automation_rules WHERE workspace_id = \(bind: workspaceId) AND id = \(bind: id)").run()
    }

    func find(workspaceId: String, id: String) async throws -> AutomationRule? {
        try await db.raw("""
            SELECT \(unsafeRaw: Self.ruleColumns) FROM automation_rules WHERE workspace_id = \(bind: workspaceId) AND id = \(bind: id)
            """).first().map(Self.rule)
    }

    func list(workspaceId: String, page: PageRequest) async throws -> Page<AutomationRule> {
        try await db.page("SELECT \(unsafeRaw: Self.ruleColumns) FROM automation_rules WHERE workspace_id = \(bind: workspaceId)",
                          column: "id", page: page, id: \.id, decode: Self.rule)
    }

    func all(workspaceId: String) async throws -> [AutomationRule] {
        try await db.raw("SELECT \(unsafeRaw: Self.ruleColumns) FROM automation_rules WHERE workspace_id = \(bind: workspaceId) ORDER BY id")
            .all().map(Self.rule)
    }

    func enabled(workspaceId: String, kinds: Set<RuleTrigger.Kind>) async throws -> [AutomationRule] {
        guard !kinds.isEmpty else { return [] }
        return try await db.raw("""
            SELECT \(unsafeRaw: Self.ruleColumns) FROM automation_rules
            WHERE workspace_id = \(bind: workspaceId) AND enabled = 1
            AND trigger_kind \(isIn: kinds.map(\.rawValue).sorted(), postgres: db.isPostgres) ORDER BY id
            """).all().map(Self.rule)
    }

    /// Read in every transaction that may trigger a rule: one range of `automation_rules_enabled`.
    static func enabledTriggersQuery(workspaceId: String) -> SQLQueryString {
        """
        SELECT DISTINCT trigger_kind, trigger_key FROM automation_rules WHERE workspace_id = \(bind: workspaceId) AND enabled = 1
        """
    }

    func enabledTriggers(workspaceId: String) async throws -> Set<TriggerKey> {
        // An event rule with property filters still narrows by name; the evaluation job applies the filters.
        Set(try await db.raw(Self.enabledTriggersQuery(workspaceId: workspaceId)).all().compactMap { row in
            RuleTrigger.Kind(rawValue: try row.string("trigger_kind")).map { TriggerKey(kind: $0, key: try? row.optionalString("trigger_key")) }
        })
    }

    func insert(_ run: AutomationRun) async throws -> Bool {
        let rows = try await db.raw("""
            INSERT INTO automation_runs (\(unsafeRaw: Self.runColumns))
            VALUES (\(bind: run.workspaceId), \(bind: run.id), \(bind: run.ruleId), \(bind: run.customerId),
                    \(bind: run.trigger.jsonText), \(bind: run.state.rawValue), \(bind: run.reason?.rawValue), \(bind: run.error),
                    \(bind: run.dedupeKey), \(bind: run.createdAt), \(bind: run.runAt), \(bind: run.finishedAt))
            ON CONFLICT DO NOTHING RETURNING id
            """).all()
        return !rows.isEmpty
    }

    func update(_ run: AutomationRun) async throws {
        try await db.raw("""
            UPDATE automation_runs SET customer_id = \(bind: run.customerId), state = \(bind: run.state.rawValue),
                reason = \(bind: run.reason?.rawValue), error = \(bind: run.error), finished_at = \(bind: run.finishedAt)
            WHERE workspace_id = \(bind: run.workspaceId) AND id = \(bind: run.id)
            """).run()
    }

    func run(workspaceId: String, id: String) async throws -> AutomationRun? {
        try await db.raw("""
            SELECT \(unsafeRaw: Self.runColumns) FROM automation_runs WHERE workspace_id = \(bind: workspaceId) AND id = \(bind: id)
            """).first().map(Self.run)
    }

    func runs(workspaceId: String, ruleId: String, page: PageRequest) async throws -> Page<AutomationRun> {
        try await db.page("""
            SELECT \(unsafeRaw: Self.runColumns) FROM automation_runs
            WHERE workspace_id = \(bind: workspaceId) AND rule_id = \(bind: ruleId)
            """, column: "id", page: page, id: \.id, decode: Self.run)
    }

    func runs(workspaceId: String, customerId: String) async throws -> [AutomationRun] {
        try await db.raw("""
            SELECT \(unsafeRaw: Self.runColumns) FROM automation_runs
            WHERE workspace_id = \(bind: workspaceId) AND customer_id = \(bind: customerId) ORDER BY id DESC
            """).all().map(Self.run)
    }

    func lockRunLimits(workspaceId: String, ruleIds: [String]) async throws {
        guard db.isPostgres else { return }
        for ruleId in Set(ruleIds).sorted() {
            try await db.raw("SELECT pg_advisory_xact_lock(727274004, hashtext(\(bind: workspaceId + "/" + ruleId)))").run()
        }
    }

    /// The limits' count: one range of `automation_runs_by_customer` (a customer) or `automation_runs_by_rule_time`.
    static func countRunsQuery(workspaceId: String, ruleId: String, customerId: String?, since: Int64) -> SQLQueryString {
        var sql = SQLQueryString("SELECT COUNT(*) AS n FROM automation_runs WHERE workspace_id = ")
        sql.appendInterpolation(bind: workspaceId)
        if let customerId {
            sql.appendInterpolation(unsafeRaw: " AND customer_id = ")
            sql.appendInterpolation(bind: customerId)
        }
        sql.appendInterpolation(unsafeRaw: " AND rule_id = ")
        sql.appendInterpolation(bind: ruleId)
        sql.appendInterpolation(unsafeRaw: " AND created_at >= ")
        sql.appendInterpolation(bind: since)
        sql.appendInterpolation(unsafeRaw: " AND state <> 'skipped'")
        return sql
    }

    func countRuns(workspaceId: String, ruleId: String, customerId: String?, since: Int64) async throws -> Int {
        try await db.raw(Self.countRunsQuery(workspaceId: workspaceId, ruleId: ruleId, customerId: customerId, since: since))
            .first()?.int("n") ?? 0
    }

    func lastRuns(workspaceId: String, ruleIds: [String]) async throws -> [String: AutomationRun] {
        var last: [String: AutomationRun] = [:]
        for ruleId in ruleIds {
            last[ruleId] = try await db.raw("""
                SELECT \(unsafeRaw: Self.runColumns) FROM automation_runs
                WHERE workspace_id = \(bind: workspaceId) AND rule_id = \(bind: ruleId) ORDER BY id DESC LIMIT 1
                """).first().map(Self.run)
        }
        return last
    }

    static func rule(_ row: any SQLRow) throws -> AutomationRule {
        let triggerText = try row.string("trigger_spec"), actionsText = try row.string("actions")
        guard let triggerJSON = JSONValue.parse(triggerText), let trigger = try? RuleTrigger.parse(triggerJSON) else {
            throw CorruptRowError(table: "automation_rules", column: "trigger_spec", value: triggerText)
        }
        guard let actionsJSON = JSONValue.parse(actionsText), let actions = try? RuleAction.parseList(actionsJSON) else {
            throw CorruptRowError(table: "automation_rules", column: "actions", value: actionsText)
        }
        var condition: SegmentRule?
        if let text = try row.optionalString("condition_rule") {
            guard let json = JSONValue.parse(text), let parsed = try? SegmentRule.parse(json, allowSegments: true) else {
                throw CorruptRowError(table: "automation_rules", column: "condition_rule", value: text)
            }
            condition = parsed
        }
        return AutomationRule(
            id: try row.string("id"), workspaceId: try row.string("workspace_id"), name: try row.string("name"),
            enabled: try row.int64("enabled") != 0, trigger: trigger, condition: condition,
            delaySeconds: try row.int("delay_seconds"), actions: actions, maxRunsPerCustomer: try row.int("max_runs_per_customer"),
            customerWindowHours: try row.int("customer_window_hours"), maxRunsPerHour: try row.int("max_runs_per_hour"),
            createdAt: try row.int64("created_at"), updatedAt: try row.int64("updated_at"))
    }

    static func run(_ row: any SQLRow) throws -> AutomationRun {
        let rawState = try row.string("state")
        guard let state = AutomationRunState(rawValue: rawState) else {
            throw CorruptRowError(table: "automation_runs", column: "state", value: rawState)
        }
        let trigger = try row.string("trigger_summary")
        return AutomationRun(
            id: try row.string("id"), workspaceId: try row.string("workspace_id"), ruleId: try row.string("rule_id"),
            customerId: try row.string("customer_id"), trigger: JSONValue.parse(trigger) ?? .string(trigger), state: state,
            reason: try row.optionalString("reason").flatMap(AutomationSkipReason.init(rawValue:)),
            error: try row.optionalString("error"), dedupeKey: try row.string("dedupe_key"),
            createdAt: try row.int64("created_at"), runAt: try row.int64("run_at"), finishedAt: try row.optionalInt64("finished_at"))
    }
}
