import Foundation
import RapportCore

/// Sample customers for `rapport serve --demo`: profiles, accounts, page views, events, orders, consent and two segments,
/// sent through the same ingest path as real tracking data. Deterministic, so every demo looks the same.
enum DemoData {
    static let firstNames = ["Ann", "Ben", "Cara", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jia", "Kofi", "Lea", "Milo",
                             "Nia", "Omar", "Pia", "Quinn", "Rui", "Sara", "Tom"]
    static let lastNames = ["Lee", "Okafor", "Silva", "Novak", "Haddad", "Kim", "Moreau", "Berg"]
    static let plans = ["free", "pro", "team"]
    static let companies: [(id: String, name: String, industry: String, employees: Int)] = [
        ("acct-northwind", "Northwind Traders", "Retail", 120), ("acct-globex", "Globex", "Manufacturing", 900),
        ("acct-initech", "Initech", "Software", 45), ("acct-umbrella", "Umbrella Health", "Healthcare", 300),
    ]
    /// Prices in euro cents.
    static let products: [(id: String, name: String, category: String, priceCents: Int64)] = [
        ("p-mug", "Mug", "Kitchen", 1200), ("p-tea", "Green tea", "Pantry", 850), ("p-lamp", "Desk lamp", "Home", 4500),
        ("p-pen", "Fountain pen", "Office", 3000), ("p-bag", "Tote bag", "Accessories", 1900),
    ]

    static func load(into services: AppServices, workspaceId: String) async throws {
        var rng = SeededGenerator(seed: 42)
        let now = services.core.clock.nowMillis
        let day: Int64 = 86_400_000
        var messages: [(index: Int, message: TrackingMessage)] = []
        var orderNumber = 1000
        func add(_ json: JSONValue, at: Int64) throws {
            let message = try TrackingMessage.parse(json, endpointType: nil, batchSentAt: nil, receivedAt: now,
                                                    makeId: { services.core.ids.next() })
            var timed = message
            timed.timestamp = at
            messages.append((messages.count, timed))
        }
        for i in 0..<60 {
            let first = firstNames[i % firstNames.count], last = lastNames[(i * 7) % lastNames.count]
            let userId = "demo-\(i + 1)"
            let anonymousId = "anon-demo-\(i + 1)"
            let email = "\(first.lowercased()).\(last.lowercased())\(i)@example.com"
            let joined = now - Int64.random(in: 20...300, using: &rng) * day
            try add(["type": "page", "anonymousId": .string(anonymousId), "name": "Home"], at: joined - 3_600_000)
            try add(["type": "page", "anonymousId": .string(anonymousId), "name": "Pricing"], at: joined - 1_800_000)
            try add(["type": "identify", "userId": .string(userId), "anonymousId": .string(anonymousId),
                     "traits": ["email": .string(email), "name": .string("\(first) \(last)"),
                                "plan": .string(plans[Int.random(in: 0..<plans.count, using: &rng)]),
                                "consent": ["marketing_email": .bool(Bool.random(using: &rng))]]], at: joined)
            try add(["type": "track", "userId": .string(userId), "event": "Signed Up"], at: joined + 60_000)
            if i % 3 != 2 { // two in three work for one of the demo companies
                let company = companies[i % companies.count]
                try add(["type": "group", "userId": .string(userId), "groupId": .string(company.id),
                         "traits": ["name": .string(company.name), "industry": .string(company.industry),
                                    "employees": JSONValue(company.employees), "plan": "team"]], at: joined + 120_000)
            }
            for _ in 0..<Int.random(in: 0...8, using: &rng) {
                let at = Int64.random(in: joined...now, using: &rng)
                try add(["type": "track", "userId": .string(userId), "event": "Logged In"], at: at)
            }
            for _ in 0..<Int.random(in: 0...4, using: &rng) {
                orderNumber += 1
                let product = products[Int.random(in: 0..<products.count, using: &rng)]
                let quantity = Int.random(in: 1...3, using: &rng)
                try add(["type": "track", "userId": .string(userId), "event": "Order Completed",
                         "properties": ["order_id": .string("D-\(orderNumber)"), "currency": "EUR",
                                        "products": [["product_id": .string(product.id), "name": .string(product.name),
                                                      "category": .string(product.category), "price": Money.json(minorUnits: product.priceCents, currency: "EUR"),
                                                      "quantity": JSONValue(quantity)]]]],
                        at: Int64.random(in: joined...now, using: &rng))
            }
        }
        _ = try await services.ingest.ingest(workspaceId: workspaceId, messages: messages)
        let owner = try await services.core.store.read { repos in
            try await repos.memberships.members(workspaceId: workspaceId, page: PageRequest(limit: 1)).items.first
        }
        guard let owner, let workspace = try await services.core.store.read({ try await $0.workspaces.find(id: workspaceId) }) else {
            return
        }
        let session = Session(tokenHash: "", userId: owner.user.id, workspaceId: workspaceId, csrfToken: "", createdAt: now,
                              expiresAt: now)
        let principal = Principal(caller: .user(owner.user, session: session), workspace: workspace, role: .owner)
        _ = try await services.segments.create(principal, name: "Repeat buyers", description: "Two or more completed orders",
                                               rule: ["field": "orders.count", "op": "gte", "value": 2])
        _ = try await services.segments.create(principal, name: "Active pros", description: "Pro plan, logged in within 30 days",
                                               rule: ["all": [["field": "trait.plan", "op": "eq", "value": "pro"],
                                                              ["field": "event.Logged In.count", "op": "gte", "value": 1,
                                                               "within_days": 30]]])
    }
}

