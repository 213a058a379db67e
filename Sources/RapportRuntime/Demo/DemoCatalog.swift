/// The fixed vocabulary of the demo shop: a European home-goods web shop ("Rapport Demo Store") that sells to people
/// and to companies, with a support team of eight in two teams.
enum DemoCatalog {
    static let firstNames = [
        "Ann", "Ben", "Cara", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jia", "Kofi", "Lea", "Milo", "Nia", "Omar",
        "Pia", "Quinn", "Rui", "Sara", "Tom", "Uma", "Vera", "Wim", "Xenia", "Yusuf", "Zoe", "Amir", "Bea", "Carlos",
        "Dana", "Emil", "Freya", "Greta", "Hugo", "Ines", "Jonas", "Kira", "Lars", "Mona", "Nils",
    ]
    static let lastNames = [
        "Lee", "Okafor", "Silva", "Novak", "Haddad", "Kim", "Moreau", "Berg", "Rossi", "Jansen", "Schmidt", "Dubois",
        "Kowalski", "Nielsen", "Garcia", "Müller", "Costa", "Andersen", "Yilmaz", "Popescu", "Horvat", "Virtanen",
        "Walsh", "Fischer", "Laine", "Martins", "Bauer", "Ferrari", "Sato", "Patel", "Ivanova", "Brennan", "Lindqvist",
        "Nowak", "Santos", "Meyer", "Cohen", "Petit", "Klein", "Vogel",
    ]
    /// Country, main city and locale of the shop's markets.
    static let markets: [(country: String, city: String, locale: String, weight: Double)] = [
        ("DE", "Berlin", "de-DE", 30), ("NL", "Amsterdam", "nl-NL", 15), ("FR", "Lyon", "fr-FR", 18),
        ("ES", "Valencia", "es-ES", 10), ("IT", "Milan", "it-IT", 9), ("SE", "Stockholm", "sv-SE", 6),
        ("IE", "Dublin", "en-IE", 7), ("AT", "Vienna", "de-AT", 5),
    ]
    static let plans: [(name: String, weight: Double)] = [("free", 55), ("pro", 35), ("team", 10)]

    static let companyStems = [
        "Northwind", "Globex", "Initech", "Umbrella", "Bluefin", "Silverline", "Redwood", "Ironbark", "Brightside",
        "Harbor", "Summit", "Lakeside", "Copperleaf", "Evergreen", "Foxglove", "Granite", "Hollow Oak", "Juniper",
        "Kestrel", "Larkspur", "Meridian", "Nimbus", "Orchard", "Pinecrest", "Quarry", "Riverbend", "Saltmarsh",
        "Tidewater", "Upland", "Vantage",
    ]
    static let companyKinds: [(suffix: String, industry: String)] = [
        ("Traders", "Retail"), ("Health", "Healthcare"), ("Labs", "Software"), ("Logistics", "Transport"),
        ("Hotels", "Hospitality"),
    ]

    /// Prices in euro cents; `returnRate` drives refunds.
    static let products: [(id: String, name: String, category: String, priceCents: Int64, weight: Double)] = [
        ("p-mug", "Stoneware mug", "Kitchen", 1_200, 14), ("p-tea", "Green tea (250 g)", "Pantry", 850, 12),
        ("p-lamp", "Desk lamp", "Home", 4_500, 8), ("p-pen", "Fountain pen", "Office", 3_000, 6),
        ("p-bag", "Tote bag", "Accessories", 1_900, 10), ("p-throw", "Wool throw", "Home", 7_900, 5),
        ("p-kettle", "Gooseneck kettle", "Kitchen", 5_900, 6), ("p-notebook", "Linen notebook", "Office", 1_600, 11),
        ("p-candle", "Beeswax candle", "Home", 1_400, 9), ("p-chair", "Oak side chair", "Furniture", 18_900, 2),
        ("p-planter", "Ceramic planter", "Garden", 2_700, 7), ("p-coffee", "Coffee beans (1 kg)", "Pantry", 2_400, 10),
    ]

    /// The pages of the shop, with how often a session lands on each.
    static let pages: [(name: String, path: String, weight: Double)] = [
        ("Home", "/", 30), ("Products", "/products", 22), ("Product", "/products/item", 25), ("Pricing", "/pricing", 6),
        ("Cart", "/cart", 8), ("Help Center", "/help", 5), ("Returns", "/help/returns", 3), ("Blog", "/blog", 4),
    ]

    /// Support agents: name, email, team (0 Support EU, 1 Billing & Returns) and how they shift the chance of a
    /// promoter (and, by as much, of a detractor the other way): agents differ, as they do.
    static let agents: [(name: String, email: String, team: Int, effect: Double)] = [
        ("Maya Fischer", "maya.fischer@rapport.local", 0, 0.08), ("Jonas Weber", "jonas.weber@rapport.local", 0, 0.03),
        ("Lena Rossi", "lena.rossi@rapport.local", 0, 0.0), ("Priya Nair", "priya.nair@rapport.local", 0, 0.05),
        ("Tom Becker", "tom.becker@rapport.local", 0, -0.07), ("Ana Costa", "ana.costa@rapport.local", 1, 0.04),
        ("Sam Okoro", "sam.okoro@rapport.local", 1, -0.09), ("Ravi Mehta", "ravi.mehta@rapport.local", 1, 0.01),
    ]
    static let teams = ["Support EU", "Billing & Returns"]

    /// Support channels, their share of tickets and their effect on the promoter chance (a call settles more).
    static let supportChannels: [(name: String, weight: Double, effect: Double)] = [
        ("email", 50, -0.04), ("chat", 35, 0.02), ("phone", 15, 0.06),
    ]
    /// What tickets are about; returns and billing go to the second team.
    static let topics: [(name: String, weight: Double, team: Int)] = [
        ("delivery", 34, 0), ("product question", 18, 0), ("account", 10, 0), ("returns", 24, 1), ("billing", 14, 1),
    ]
}
