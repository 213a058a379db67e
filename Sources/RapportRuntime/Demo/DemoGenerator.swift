import Foundation
import RapportCore

/// Makes the demo data set: deterministic for a seed (the same seed gives the same people, orders, tickets and
/// scores; only the dates follow `now`), in memory, in the order the steps depend on each other. Each step lives in
/// a file of its own: people and accounts, activity, orders, support, surveys and responses, follow-ups.
struct DemoGenerator {
    let workspaceId: String
    let ownerId: String
    let calendar: DemoCalendar
    var rng: SeededGenerator
    var ids: DemoIDs
    var data: DemoDataSet
    var people: [DemoPerson] = []
    var asks: [DemoSurveyAsk] = []
    var ticketCount = 0

    /// How big the demo is.
    struct Size: Sendable {
        var customers = 3_000
        var accounts = 150
        var tickets = 4_200
        static let standard = Size()
    }
    let size: Size

    /// The new returns policy started this many days ago; NPS rises after it (docs/methods.md, "The demo data").
    static let changeDaysAgo = 120
    static let timeZone = "Europe/Berlin"

    init(workspaceId: String, ownerId: String, now: Int64, seed: UInt64, size: Size = .standard) {
        self.workspaceId = workspaceId
        self.ownerId = ownerId
        let zone = TimeZone(identifier: Self.timeZone) ?? TimeZone(secondsFromGMT: 0)!
        self.calendar = DemoCalendar(now: now, timeZone: zone)
        self.rng = SeededGenerator(seed: seed)
        self.ids = DemoIDs(seed: seed)
        self.size = size
        self.data = DemoDataSet(workspaceId: workspaceId, timeZone: Self.timeZone,
                                changeAt: calendar.midnight(daysAgo: Self.changeDaysAgo))
    }

    /// The whole data set.
    static func generate(workspaceId: String, ownerId: String, now: Int64, seed: UInt64 = 42, size: Size = .standard) -> DemoDataSet {
        var generator = DemoGenerator(workspaceId: workspaceId, ownerId: ownerId, now: now, seed: seed, size: size)
        generator.makeTeam()
        generator.makeSurveys()
        generator.makeAccounts()
        generator.makePeople()
        generator.makeBrowsing()
        generator.makeOrders()
        generator.makeTickets()
        generator.makeInvitationsAndResponses()
        generator.makeLinkResponses()
        generator.makeFollowUps()
        generator.finishProfiles()
        return generator.data
    }

    var now: Int64 { calendar.now }

    mutating func chance(_ probability: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < probability }

    /// A timeline entry of a tracked event or page view, received when it happened (as live tracking would be).
    mutating func track(_ kind: ActivityKind, _ name: String, person: Int, at: Int64, properties: JSONValue = [:],
                        context: JSONValue = [:]) {
        data.activities.append(Activity(id: ids.next(at: at), workspaceId: workspaceId, customerId: people[person].id, kind: kind,
                                        name: name, occurredAt: at, receivedAt: at + 1_000,
                                        messageId: "demo-" + ids.next(at: at), properties: properties, context: context))
    }
}
