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
            var writer = ProfileWriter(workspaceId: workspaceId, repos: repos, deps: deps)
            let at = occurredAt ?? now
            let target: String
            if let customerId {
                target = try await CustomerService.live(repos, workspaceId: workspaceId, id: customerId).id
            } else {
                guard !identifiers.isEmpty else {
                    throw RapportError.invalid("customer_id", "Name the customer by customer_id, user_id or email.")
                }
                try await writer.lookUp(identifiers)
                target = try await writer.resolveOrCreate(identifiers: identifiers, at: at)
            }
            try await writer.applyTraits([:], to: target, at: at, source: "api")
            if let stored = try await writer.recordOrder(parsed, for: target, at: at, source: "api") {
                writer.append(.order, name: stored.orderId, for: target, at: at, properties: stored.timelineProperties)
            }
            try await writer.flush()
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
