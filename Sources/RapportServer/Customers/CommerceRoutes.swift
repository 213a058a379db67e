import Hummingbird
import RapportCore

extension APIRoutes {
    /// `/orders`, `/accounts`, `/stats/purchases`.
    func addCommerceRoutes(orders: OrderService, accounts: AccountService) {
        post("orders", least: .agent) { request, context, principal in
            let body = try await JSONBody.read(request, context: context, allowed: [
                "order_id", "customer_id", "user_id", "email", "currency", "total", "occurred_at", "products"])
            let (customerId, identifiers) = try body.customerReference()
            let occurredAt = try body.optionalTimestamp("occurred_at")
            var properties = body.fields
            properties["customer_id"] = nil
            properties["user_id"] = nil
            properties["email"] = nil
            properties["occurred_at"] = nil
            let order = try await orders.create(principal, customerId: customerId, identifiers: identifiers,
                                                         properties: properties, occurredAt: occurredAt)
            return JSONResponse.make(order.json, status: .created)
        }

        get("accounts", least: .analyst) { request, _, principal in
            JSONResponse.page(try await accounts.list(principal, page: try request.pageRequest())) { $0.json }
        }

        get("accounts/:account_id", least: .analyst) { _, context, principal in
            let (account, members) = try await accounts.get(principal, id: try context.id("account_id", of: "account"))
            guard case .object(var fields) = account.json else { return JSONResponse.make(account.json) }
            fields["member_count"] = JSONValue(members)
            return JSONResponse.make(.object(fields))
        }

        get("stats/purchases", least: .analyst) { _, _, principal in
            let rate = try await orders.repeatPurchaseRate(principal)
            return JSONResponse.make(["purchasers": JSONValue(rate.purchasers), "repeat_purchasers": JSONValue(rate.repeatPurchasers),
                                      "repeat_purchase_rate": rate.rate.map(JSONValue.number) ?? .null,
                                      "confidence_interval": rate.interval.map { interval in
                                          ["low": .number(interval.low), "high": .number(interval.high),
                                           "level": .number(interval.level), "method": "wilson"]
                                      } ?? .null])
        }
    }
}
