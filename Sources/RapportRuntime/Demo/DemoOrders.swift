import RapportCore

/// Orders: about four in ten customers buy, and the more active buy again (repeat buyers); each order is delivered
/// a few days later (a CSAT survey follows), some are returned and refunded, and some checkouts show the CES widget.
extension DemoGenerator {
    static let carriers = ["DHL", "PostNL", "Colissimo", "GLS"]

    mutating func makeOrders() {
        var number = 10_000
        for person in people.indices {
            let activity = people[person].activity
            guard chance(0.22 + 0.5 * activity) else { continue }
            let repeatChance = min(0.8, 0.18 + 0.6 * activity)
            var count = 1
            while count < 8, chance(repeatChance) { count += 1 }
            let days = (0..<count).map { _ in Int.random(in: 0..<people[person].joinedDaysAgo, using: &rng) }.sorted(by: >)
            for daysAgo in days {
                number += 1
                order(person: person, number: number, at: calendar.leisureTime(daysAgo: daysAgo, using: &rng))
            }
        }
    }

    private mutating func order(person: Int, number: Int, at: Int64) {
        var lines: [OrderLine] = []
        for _ in 0..<demoWeighted([60, 28, 12], &rng) + 1 {
            let product = DemoCatalog.products[demoWeighted(DemoCatalog.products.map(\.weight), &rng)]
            guard !lines.contains(where: { $0.productId == product.id }) else { continue }
            lines.append(OrderLine(productId: product.id, sku: product.id.uppercased(), name: product.name, category: product.category,
                                   priceMinorUnits: product.priceCents, quantity: demoWeighted([80, 15, 5], &rng) + 1))
        }
        let total = lines.reduce(Int64(0)) { $0 + $1.priceMinorUnits * Int64($1.quantity) }
        let orderId = "D-\(number)"
        page("Checkout", "/checkout/done", person: person, at: at - 20_000)
        var stored = Order(id: ids.next(at: at), workspaceId: workspaceId, orderId: orderId, customerId: people[person].id,
                           currency: "EUR", totalMinorUnits: total, occurredAt: at, source: "api", lines: lines)
        let carrier = Self.carriers.pick(&rng)
        let delivered = at + Int64.random(in: 40...110, using: &rng) * DemoCalendar.hour
        // Returns are easier after the new policy, so a few more people return things.
        let returnChance = at >= data.changeAt ? 0.08 : 0.05
        let refundedAt = delivered + Int64.random(in: 3...20, using: &rng) * DemoCalendar.day
        if chance(returnChance), refundedAt < now {
            stored.status = .refunded
            stored.refundedAt = refundedAt
        }
        data.orders.append(stored)
        var placed = stored
        placed.status = .completed
        track(.order, orderId, person: person, at: at, properties: placed.timelineProperties)
        if chance(0.3) {
            asks.append(DemoSurveyAsk(kind: .checkout, person: person, at: at + 30_000,
                                      attributes: ["order_id": orderId, "touchpoint": "checkout"], effect: 0))
        }
        guard delivered < now - DemoCalendar.hour else { return }
        track(.track, "Order Delivered", person: person, at: delivered,
              properties: ["order_id": .string(orderId), "carrier": .string(carrier)])
        asks.append(DemoSurveyAsk(kind: .delivery, person: person, at: delivered + 20 * DemoCalendar.hour,
                                  attributes: ["order_id": orderId, "carrier": carrier, "touchpoint": "delivery"], effect: 0))
        if let refundedAt = stored.refundedAt {
            track(.orderRefunded, orderId, person: person, at: refundedAt, properties: stored.timelineProperties)
        }
    }
}
