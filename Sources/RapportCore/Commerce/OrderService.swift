/// Orders entered through the REST API, and purchase statistics.
public struct OrderService: Sendable {
    let deps: CoreDependencies

    public init(_ deps: CoreDependencies) { self.deps = deps }

    /// Records a completed order for the customer named by `customerId` or by identifiers (created when unknown).
    /// `properties` follow the Segment e-commerce spec (`order_id`, `total`, `currency`, `products`).
    public func create(_ principal: Principal, customerId: String?, identifiers: [Identifier], properties: [String: JSONValue],
                       occurredAt: Int64?) async throws -> Order {
        try principal.require(Permission.writeData.leastRole)
        let parsed = try Order.fromSegment(properties: properties, strict: true, fieldPrefix: "")
        let workspaceId = principal.workspaceId
        let deps = self.deps
        let now = deps.clock.nowMillis
        if let occurredAt, !EventTime.plausible(receivedAt: now).contains(occurredAt) {
            throw RapportError.invalid("occurred_at", "occurred_at must lie between 2000-01-01T00:00:00Z and a day from now.")
        }
        return try await deps.store.write { repos in
            try await repos.customers.lockIdentities(workspaceId: workspaceId)
            if try await repos.orders.find(workspaceId: workspaceId, orderId: parsed.orderId) != nil {
                throw RapportError(.conflict, code: "order_exists", message: "An order \(parsed.orderId) already exists.",
                                   details: ["field": "order_id"])
            }
            var batch = IdentityBatch(workspaceId: workspaceId, repos: repos, deps: deps)
            batch.orderSource = "api"
            let target: String
            if let customerId {
                target = try await CustomerService.live(repos, workspaceId: workspaceId, id: customerId).id
            } else {
                guard !identifiers.isEmpty else {
                    throw RapportError.invalid("customer_id", "Name the customer by customer_id, user_id or email.")
                }
                try await batch.lookUp(identifiers)
                target = try await batch.resolve(TrackingMessage.synthetic(identifiers: identifiers, at: occurredAt ?? now))
            }
            var message = TrackingMessage.synthetic(identifiers: [], at: occurredAt ?? now)
            message.type = .track
            message.name = "Order Completed"
            message.properties = properties
            try await batch.record(message, try IdentityBatch.parts(of: message), for: target)
            try await batch.flush()
            guard let order = try await repos.orders.find(workspaceId: workspaceId, orderId: parsed.orderId) else {
                throw RapportError(.internalError, code: "internal_error", message: "the order was not stored")
            }
            return order
        }
    }

    public func orders(_ principal: Principal, customerId: String, page: PageRequest) async throws -> Page<Order> {
        try principal.require(Permission.readData.leastRole)
        let workspaceId = principal.workspaceId
        return try await deps.store.read { repos in
            let customer = try await CustomerService.live(repos, workspaceId: workspaceId, id: customerId)
            return try await repos.orders.orders(workspaceId: workspaceId, customerId: customer.id, page: page)
        }
    }

    public func repeatPurchaseRate(_ principal: Principal) async throws -> RepeatPurchaseRate {
        try principal.require(Permission.readData.leastRole)
        let workspaceId = principal.workspaceId
        return try await deps.store.read { try await $0.orders.repeatPurchaseRate(workspaceId: workspaceId) }
    }
}
