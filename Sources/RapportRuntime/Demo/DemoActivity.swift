import RapportCore

/// What the demo's customers do on the shop's site: the sign-up, then browsing sessions (page views, products viewed
/// and added to the cart, logins), more for the few very active people.
extension DemoGenerator {
    static let siteURL = "https://shop.rapport.local"

    mutating func makeBrowsing() {
        for person in people.indices {
            let joinedAt = people[person].joinedAt
            page("Home", "/", person: person, at: joinedAt - DemoCalendar.hour)
            page("Pricing", "/pricing", person: person, at: joinedAt - 50 * DemoCalendar.minute)
            track(.identify, "identify", person: person, at: joinedAt,
                  properties: ["email": .string(people[person].email), "locale": .string(people[person].locale)])
            track(.track, "Signed Up", person: person, at: joinedAt + 60_000, properties: ["method": "email"])
            if let accountIndex = people[person].accountIndex {
                let account = data.accounts[accountIndex]
                track(.group, account.groupId, person: person, at: joinedAt + 120_000, properties: .object(account.traits))
            }
            let sessions = 1 + Int(people[person].activity * 9 + Double.random(in: 0..<2, using: &rng))
            for _ in 0..<sessions {
                let daysAgo = Int.random(in: 0..<people[person].joinedDaysAgo, using: &rng)
                session(person: person, at: calendar.leisureTime(daysAgo: daysAgo, using: &rng))
            }
        }
    }

    private mutating func session(person: Int, at start: Int64) {
        var at = start
        if chance(0.4) { track(.track, "Logged In", person: person, at: at) }
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let entry = DemoCatalog.pages[demoWeighted(DemoCatalog.pages.map(\.weight), &rng)]
            at += Int64.random(in: 15_000...240_000, using: &rng)
            page(entry.name, entry.path, person: person, at: at)
            if entry.name == "Product" {
                let product = DemoCatalog.products[demoWeighted(DemoCatalog.products.map(\.weight), &rng)]
                track(.track, "Product Viewed", person: person, at: at + 2_000, properties: productProperties(product))
                if chance(0.25) {
                    track(.track, "Product Added", person: person, at: at + 40_000, properties: productProperties(product))
                }
            }
        }
    }

    mutating func page(_ name: String, _ path: String, person: Int, at: Int64) {
        track(.page, name, person: person, at: at, properties: ["path": .string(path), "url": .string(Self.siteURL + path),
                                                                 "title": .string("\(name) – Rapport Demo Store")],
              context: ["page": ["path": .string(path)], "locale": .string(people[person].locale)])
    }

    func productProperties(_ product: (id: String, name: String, category: String, priceCents: Int64, weight: Double)) -> JSONValue {
        ["product_id": .string(product.id), "name": .string(product.name), "category": .string(product.category),
         "price": Money.json(minorUnits: product.priceCents, currency: "EUR"), "currency": "EUR"]
    }
}
