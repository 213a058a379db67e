import Foundation
import RapportCore

/// The demo's companies and people: 150 accounts of every size, 3,000 customers (four in ten work for one of the
/// accounts), their identifiers, consent decisions and a few addresses that bounced.
extension DemoGenerator {
    mutating func makeAccounts() {
        for index in 0..<size.accounts {
            let stem = DemoCatalog.companyStems[index % DemoCatalog.companyStems.count]
            let kind = DemoCatalog.companyKinds[(index / DemoCatalog.companyStems.count) % DemoCatalog.companyKinds.count]
            let name = ["Globex", "Initech"].contains(stem) && kind.suffix == "Traders" ? stem : "\(stem) \(kind.suffix)"
            // Log-uniform sizes from 8 to 6,000 people: many small companies, a few large ones.
            let employees = Int(exp(Double.random(in: log(8.0)...log(6_000.0), using: &rng)))
            let tier = employees >= 1_000 ? "enterprise" : employees >= 100 ? "business" : "team"
            let created = calendar.midnight(daysAgo: Int.random(in: 200..<DemoCalendar.days, using: &rng)) + 10 * DemoCalendar.hour
            data.accounts.append(Account(
                id: ids.next(at: created), workspaceId: workspaceId, groupId: "acct-" + Self.slug(name),
                traits: ["name": .string(name), "industry": .string(kind.industry), "employees": JSONValue(employees),
                         "plan": .string(tier), "tier": .string(tier)],
                createdAt: created, updatedAt: created))
        }
    }

    mutating func makePeople() {
        let accountWeights = data.accounts.map { ($0.traits["employees"]?.numberValue ?? 10).squareRoot() }
        var usedEmails: Set<String> = []
        for index in 0..<size.customers {
            let first = DemoCatalog.firstNames.pick(&rng), last = DemoCatalog.lastNames.pick(&rng)
            let market = DemoCatalog.markets[demoWeighted(DemoCatalog.markets.map(\.weight), &rng)]
            let plan = DemoCatalog.plans[demoWeighted(DemoCatalog.plans.map(\.weight), &rng)].name
            let joinedDaysAgo = Int.random(in: 2..<DemoCalendar.days, using: &rng)
            let joinedAt = calendar.leisureTime(daysAgo: joinedDaysAgo, using: &rng)
            let accountIndex = chance(0.4) ? demoWeighted(accountWeights, &rng) : nil
            let local = Self.slug(first) + "." + Self.slug(last)
            var email: String
            if let accountIndex {
                email = local + "@" + data.accounts[accountIndex].groupId.dropFirst(5) + ".example"
            } else {
                email = local + "\(index % 97)@" + ["example.com", "example.net", "example.org"].pick(&rng)
            }
            if !usedEmails.insert(email).inserted {
                email = email.replacingOccurrences(of: "@", with: "\(index)@")
                usedEmails.insert(email)
            }
            let activity = pow(Double.random(in: 0..<1, using: &rng), 2.2)
            var person = DemoPerson(id: ids.next(at: joinedAt), index: index, email: email, firstName: first,
                                    joinedDaysAgo: joinedDaysAgo, joinedAt: joinedAt, accountIndex: accountIndex,
                                    locale: market.locale, activity: activity)
            var traits: [String: JSONValue] = [
                "email": .string(email), "name": .string("\(first) \(last)"), "first_name": .string(first),
                "last_name": .string(last), "plan": .string(plan), "country": .string(market.country),
                "city": .string(market.city), "locale": .string(market.locale),
                "created_at": .string(Timestamp.iso8601(joinedAt)),
            ]
            if let accountIndex {
                let account = data.accounts[accountIndex]
                traits["company"] = account.traits["name"]
                traits["company_tier"] = account.traits["tier"]
                data.accountMembers.append((account.id, person.id, joinedAt + 120_000))
            }
            data.customers.append(Customer(id: person.id, workspaceId: workspaceId, traits: traits,
                                           traitTimes: traits.mapValues { _ in joinedAt }, createdAt: joinedAt,
                                           updatedAt: joinedAt, firstSeenAt: joinedAt - DemoCalendar.hour, lastSeenAt: joinedAt))
            data.identifiers.append((person.id, Identifier(.userId, "demo-\(index + 1)")))
            data.identifiers.append((person.id, Identifier(.email, email)))
            makeConsent(&person)
            people.append(person)
        }
    }

    /// Marketing consent given at sign-up by most, withdrawn later by some; the `surveys` consent (allowed until
    /// withdrawn) withdrawn by a few; a few addresses bounce for good.
    private mutating func makeConsent(_ person: inout DemoPerson) {
        let after = { (rng: inout SeededGenerator, from: Int64, to: Int64) -> Int64 in
            Int64.random(in: from...max(from, to), using: &rng)
        }
        if chance(0.6) {
            record(person, purpose: "marketing_email", status: .granted, source: "signup_form", at: person.joinedAt + 30_000)
            if chance(0.15) {
                record(person, purpose: "marketing_email", status: .withdrawn, source: "unsubscribe_link",
                       at: after(&rng, person.joinedAt + DemoCalendar.day, now - DemoCalendar.hour))
            }
        }
        if chance(0.045) {
            let at = after(&rng, person.joinedAt + DemoCalendar.day, now - DemoCalendar.day)
            person.surveysWithdrawnAt = at
            record(person, purpose: "surveys", status: .withdrawn, source: "preference_center", at: at)
        }
        if chance(0.02) {
            let at = after(&rng, person.joinedAt + DemoCalendar.day, now - DemoCalendar.day)
            person.bouncedAt = at
            data.suppressions.append(EmailSuppression(
                id: ids.next(at: at), workspaceId: workspaceId, address: person.email, reason: .bounced,
                detail: "550 5.1.1 <\(person.email)>: Recipient address rejected: User unknown", createdAt: at))
        }
    }

    private mutating func record(_ person: DemoPerson, purpose: String, status: ConsentRecord.Status, source: String, at: Int64) {
        let record = ConsentRecord(id: ids.next(at: at), workspaceId: workspaceId, customerId: person.id, purpose: purpose,
                                   channel: "email", status: status, source: source, recordedAt: at)
        data.consents.append(record)
        data.activities.append(Activity(id: ids.next(at: at), workspaceId: workspaceId, customerId: person.id, kind: .consent,
                                        name: purpose, occurredAt: at, receivedAt: at, properties: record.timelineProperties))
    }

    /// The profiles as they stand at the end: last seen at their latest activity, with their latest NPS as traits
    /// (as a CX team writes it back), which the "At risk" segment reads.
    mutating func finishProfiles() {
        var lastSeen: [String: Int64] = [:]
        for activity in data.activities where activity.kind == .page || activity.kind == .track {
            lastSeen[activity.customerId] = max(lastSeen[activity.customerId] ?? 0, activity.occurredAt)
        }
        for index in data.customers.indices {
            let id = data.customers[index].id
            if let seen = lastSeen[id] { data.customers[index].seen(at: seen) }
            if let nps = people[index].lastNPS {
                let band = nps.score >= 9 ? "promoter" : nps.score >= 7 ? "passive" : "detractor"
                data.customers[index].apply(traits: ["last_nps_score": JSONValue(nps.score), "last_nps_band": .string(band)], at: nps.at)
            }
            data.customers[index].updatedAt = data.customers[index].lastSeenAt
        }
    }

    /// Lower-case ASCII letters and digits of a name, for made-up addresses and ids.
    static func slug(_ text: String) -> String {
        let folded = text.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: Locale(identifier: "en"))
        return String(folded.lowercased().unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) && $0.isASCII }
            .map(Character.init))
    }
}
