import RapportCore
import SQLKit

struct SQLWebhookRepository: WebhookRepository {
    let db: any SQLDatabase
    /// Seals the endpoint's signing secret as stored and opens it as read.
    var secrets = StoredSecret(box: nil)

    static let endpointColumns = """
        workspace_id, id, url, description, event_types, enabled, secret, disabled_reason, created_by, failing_since, created_at, \
        updated_at, previous_secret, previous_secret_expires_at
        """
    static let deliveryColumns = """
        workspace_id, id, endpoint_id, message_id, event_type, customer_id, payload, status, attempts, response_status, \
        response_excerpt, duration_ms, created_at, last_attempt_at
        """

    func insert(_ endpoint: WebhookEndpoint) async throws {
        try await db.raw("""
            INSERT INTO webhook_endpoints (\(unsafeRaw: Self.endpointColumns))
            VALUES (\(bind: endpoint.workspaceId), \(bind: endpoint.id), \(bind: endpoint.url), \(bind: endpoint.description),
                    \(bind: Self.typesText(endpoint.eventTypes)), \(bind: endpoint.enabled ? 1 : 0), \(bind: try secrets.seal(endpoint.secret)),
                    \(bind: endpoint.disabledReason), \(bind: endpoint.createdBy), \(bind: endpoint.failingSince),
                    \(bind: endpoint.createdAt), \(bind: endpoint.updatedAt), \(bind: try secrets.seal(endpoint.previousSecret)),
                    \(bind: endpoint.previousSecretExpiresAt))
            """).run()
    }

    func rotateSecret(workspaceId: String, id: String, secret: String, previous: String?, previousExpiresAt: Int64?,
                      at: Int64) async throws {
        try await db.raw("""
            UPDATE webhook_endpoints SET secret = \(bind: try secrets.seal(secret)), previous_secret = \(bind: try secrets.seal(previous)),
                previous_secret_expires_at = \(bind: previousExpiresAt), updated_at = \(bind: at)
            WHERE workspace_id = \(bind: workspaceId) AND id = \(bind: id)
            """).run()
    }

    func update(_ endpoint: WebhookEndpoint) async throws {
        try await db.raw("""
            UPDATE webhook_endpoints SET url = \(bind: endpoint.url), description = \(bind: endpoint.description),
                event_types = \(bind: Self.typesText(endpoint.eventTypes)), enabled = \(bind: endpoint.enabled ? 1 : 0),
                disabled_reason = \(bind: endpoint.disabledReason), failing_since = \(bind: endpoint.failingSince),
                updated_at = \(bind: endpoint.updatedAt)
            WHERE workspace_id = \(bind: endpoint.workspaceId) AND id = \(bind: endpoint.id)
            """).run()
    }

    /// Deletes the endpoint and its delivery log.
    func delete(workspaceId: String, id: String) async throws {
        try await db.raw("DELETE FROM webhook_deliveries WHERE workspace_id = \(bind: workspaceId) AND endpoint_id = \(bind: id)").run()
        try await db.raw("DELETE FROM webhook_endpoints WHERE workspace_id = \(bind: workspaceId) AND id = \(bind: id)").run()
    }

    func find(workspaceId: String, id: String) async throws -> WebhookEndpoint? {
        try await db.raw("""
            SELECT \(unsafeRaw: Self.endpointColumns) FROM webhook_endpoints
            WHERE workspace_id = \(bind: workspaceId) AND id = \(bind: id)
            """).first().map(endpoint)
    }

    func list(workspaceId: String, page: PageRequest) async throws -> Page<WebhookEndpoint> {
        try await db.page("SELECT \(unsafeRaw: Self.endpointColumns) FROM webhook_endpoints WHERE workspace_id = \(bind: workspaceId)",
                          column: "id", page: page, id: \.id, decode: endpoint)
    }

    /// A workspace has a handful of endpoints: callers filter them by event type, which keeps the type list one JSON
    /// column on both databases.
    func enabled(workspaceId: String) async throws -> [WebhookEndpoint] {
        try await db.raw("""
            SELECT \(unsafeRaw: Self.endpointColumns) FROM webhook_endpoints
            WHERE workspace_id = \(bind: workspaceId) AND enabled = 1
            """).all().map(endpoint)
    }

    func markFailing(workspaceId: String, id: String, at: Int64) async throws -> Int64? {
        try await db.raw("""
            UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, \(bind: at))
            WHERE workspace_id = \(bind: workspaceId) AND id = \(bind: id)
            RETURNING failing_since
            """).first()?.optionalInt64("failing_since")
    }

    func markHealthy(workspaceId: String, id: String) async throws {
        try await db.raw("""
            UPDATE webhook_endpoints SET failing_since = NULL
            WHERE workspace_id = \(bind: workspaceId) AND id = \(bind: id) AND failing_since IS NOT NULL
            """).run()
    }

    func disable(workspaceId: String, id: String, reason: String, at: Int64) async throws -> Bool {
        try await db.raw("""
            UPDATE webhook_endpoints SET enabled = 0, disabled_reason = \(bind: reason), updated_at = \(bind: at)
            WHERE workspace_id = \(bind: workspaceId) AND id = \(bind: id) AND enabled = 1
            RETURNING id
            """).first() != nil
    }

    func insert(_ delivery: WebhookDelivery) async throws {
        try await db.raw("""
            INSERT INTO webhook_deliveries (\(unsafeRaw: Self.deliveryColumns))
            VALUES (\(bind: delivery.workspaceId), \(bind: delivery.id), \(bind: delivery.endpointId), \(bind: delivery.messageId),
                    \(bind: delivery.eventType.rawValue), \(bind: delivery.customerId), \(bind: delivery.payload),
                    \(bind: delivery.status.rawValue), \(bind: delivery.attempts), \(bind: delivery.responseStatus),
                    \(bind: delivery.responseExcerpt), \(bind: delivery.durationMillis), \(bind: delivery.createdAt),
                    \(bind: delivery.lastAttemptAt))
            """).run()
    }

    func update(_ delivery: WebhookDelivery) async throws {
        try await db.raw("""
            UPDATE webhook_deliveries SET status = \(bind: delivery.status.rawValue), attempts = \(bind: delivery.attempts),
                response_status = \(bind: delivery.responseStatus), response_excerpt = \(bind: delivery.responseExcerpt),
                duration_ms = \(bind: delivery.durationMillis), last_attempt_at = \(bind: delivery.lastAttemptAt)
            WHERE workspace_id = \(bind: delivery.workspaceId) AND id = \(bind: delivery.id)
            """).run()
    }

    func delivery(workspaceId: String, id: String) async throws -> WebhookDelivery? {
        try await db.raw("""
            SELECT \(unsafeRaw: Self.deliveryColumns) FROM webhook_deliveries
            WHERE workspace_id = \(bind: workspaceId) AND id = \(bind: id)
            """).first().map(Self.delivery)
    }

    func deliveries(workspaceId: String, endpointId: String, page: PageRequest) async throws -> Page<WebhookDelivery> {
        try await db.page("""
            SELECT \(unsafeRaw: Self.deliveryColumns) FROM webhook_deliveries
            WHERE workspace_id = \(bind: workspaceId) AND endpoint_id = \(bind: endpointId)
            """, column: "id", page: page, id: \.id, decode: Self.delivery)
    }

    func purgeDeliveries(before: Int64, limit: Int) async throws -> Int {
        try await db.raw("""
            DELETE FROM webhook_deliveries WHERE (workspace_id, id) IN (
                SELECT workspace_id, id FROM webhook_deliveries
                WHERE created_at < \(bind: before) AND status <> 'pending' LIMIT \(bind: limit))
            RETURNING id
            """).all().count
    }

    static func typesText(_ types: [WebhookEventType]) -> String {
        JSONValue.array(types.map { .string($0.rawValue) }).jsonText
    }

    func endpoint(_ row: any SQLRow) throws -> WebhookEndpoint {
        let rawTypes = try row.string("event_types")
        guard let names = JSONValue.parse(rawTypes)?.arrayValue?.compactMap(\.stringValue) else {
            throw CorruptRowError(table: "webhook_endpoints", column: "event_types", value: rawTypes)
        }
        return WebhookEndpoint(
            id: try row.string("id"), workspaceId: try row.string("workspace_id"), url: try row.string("url"),
            description: try row.optionalString("description"),
            eventTypes: names.compactMap(WebhookEventType.init(rawValue:)), enabled: try row.int64("enabled") != 0,
            secret: secrets.openIfReadable(try row.string("secret")), disabledReason: try row.optionalString("disabled_reason"),
            createdBy: try row.optionalString("created_by"), failingSince: try row.optionalInt64("failing_since"),
            createdAt: try row.int64("created_at"), updatedAt: try row.int64("updated_at"),
            previousSecret: try row.optionalString("previous_secret").flatMap(secrets.openIfReadable),
            previousSecretExpiresAt: try row.optionalInt64("previous_secret_expires_at"))
    }

    static func delivery(_ row: any SQLRow) throws -> WebhookDelivery {
        let rawType = try row.string("event_type"), rawStatus = try row.string("status")
        guard let type = WebhookEventType(rawValue: rawType) else {
            throw CorruptRowError(table: "webhook_deliveries", column: "event_type", value: rawType)
        }
        guard let status = WebhookDelivery.Status(rawValue: rawStatus) else {
            throw CorruptRowError(table: "webhook_deliveries", column: "status", value: rawStatus)
        }
        return WebhookDelivery(
            id: try row.string("id"), workspaceId: try row.string("workspace_id"), endpointId: try row.string("endpoint_id"),
            messageId: try row.string("message_id"), eventType: type, customerId: try row.optionalString("customer_id"),
            payload: try row.string("payload"), status: status, attempts: try row.int("attempts"),
            responseStatus: try row.optionalInt64("response_status").map { Int($0) },
            responseExcerpt: try row.optionalString("response_excerpt"),
            durationMillis: try row.optionalInt64("duration_ms").map { Int($0) }, createdAt: try row.int64("created_at"),
            lastAttemptAt: try row.optionalInt64("last_attempt_at"))
    }
}
