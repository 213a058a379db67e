import Foundation
import RapportCore
import RapportServer
@testable import RapportStore
import SQLKit
import Testing

/// A profile page's lists come from one statement (issue 9, point 11: on PostgreSQL every statement is a round trip,
/// and six separate reads made a profile cost four times its timeline). What it returns must be exactly what the
/// separate reads return.
@Suite("Profile read in one statement")
struct ProfileReadTests {
    static let workspaceId = "w-profile"

    /// A person with something in every list: identifiers of several kinds, completed orders in two currencies (one
    /// total beyond 2^53 minor units, which a JSON double would round) and a refunded one, two accounts, merges two
    /// generations deep next to someone else's, consents, and more trait changes than the page shows.
    static func seed(_ store: SQLDataStore) async throws -> Customer {
        let ws = workspaceId
        let person = Customer(id: "c-ann", workspaceId: ws, createdAt: 1_000, updatedAt: 2_000, firstSeenAt: 1_000, lastSeenAt: 2_000)
        try await store.write { repos in
            try await repos.workspaces.insert(Workspace(id: ws, name: "Profiles", createdAt: 1))
            for id in ["c-ann", "c-bob", "c-cat", "c-other", "c-gone"] {
                try await repos.customers.insert(id == person.id ? person
                    : Customer(id: id, workspaceId: ws, createdAt: 1, updatedAt: 1, firstSeenAt: 1, lastSeenAt: 1))
            }
            try await repos.customers.addIdentifiers(workspaceId: ws, customerId: person.id, [
                Identifier(.userId, "9007199254740993"), Identifier(.email, "ann@example.com"), Identifier(.anonymousId, "dev-1"),
                Identifier(.external, "cus_1", namespace: "stripe"), Identifier(.phone, "+15550100"),
            ], at: 1_000)
            try await repos.customers.addIdentifiers(workspaceId: ws, customerId: "c-other", [Identifier(.email, "o@example.com")], at: 1)
            let orders: [(String, String?, String, Int64, Int64, Order.Status)] = [
                ("o1", person.id, "USD", 4_000, 10_000, .completed), ("o2", person.id, "USD", 9_007_199_254_740_993, 20_000, .completed),
                ("o3", person.id, "EUR", 1_999, 15_000, .completed), ("o4", person.id, "EUR", 500, 16_000, .refunded),
                ("o5", "c-other", "USD", 7, 1, .completed),
            ]
            for (id, customerId, currency, total, at, status) in orders {
                try await repos.orders.insert(Order(id: id, workspaceId: ws, orderId: "order-\(id)", customerId: customerId, status: status,
                                                    currency: currency, totalMinorUnits: total, occurredAt: at, source: "test", lines: []))
            }
            for (id, group) in [("a-2", "globex"), ("a-1", "acme"), ("a-3", "initech")] {
                try await repos.accounts.upsert(Account(id: id, workspaceId: ws, groupId: group, traits: ["name": .string(group), "seats": .number(12)],
                                                        createdAt: 5, updatedAt: 6))
            }
            try await repos.accounts.addMember(workspaceId: ws, accountId: "a-2", customerId: person.id, at: 7)
            try await repos.accounts.addMember(workspaceId: ws, accountId: "a-1", customerId: person.id, at: 7)
            try await repos.accounts.addMember(workspaceId: ws, accountId: "a-3", customerId: "c-other", at: 7)
            try await repos.customers.recordMerges([("m-2", person.id, "c-bob"), ("m-1", "c-bob", "c-cat"), ("m-3", "c-other", "c-gone")].map {
                CustomerMerge(id: $0.0, workspaceId: ws, survivorId: $0.1, mergedId: $0.2, reason: "shared \"device\"",
                              identifiers: ["anonymous_id:dev-\($0.0)", "email:ünïcode@example.com"], mergedAt: 3_000)
            })
            for (index, status) in [ConsentRecord.Status.granted, .withdrawn, .granted].enumerated() {
                try await repos.consents.append(ConsentRecord(id: "k-\(index)", workspaceId: ws, customerId: person.id, purpose: "marketing_email",
                                                              channel: "email", status: status, source: "form", recordedAt: Int64(9_000 - index)))
            }
            let changes = (0..<60).map { (index: Int) -> TraitChange in
                let value: JSONValue = index % 3 == 0 ? .null : .object(["tier": .string("gold \(index) ✓"), "n": .number(Double(index))])
                return TraitChange(trait: "plan", value: value, source: "api", recordedAt: Int64(10_000 + index))
            }
            try await repos.customers.appendTraitHistory(workspaceId: ws, customerId: person.id, changes)
        }
        return person
    }

    @Test func theProfileIsWhatTheSeparateReadsReturn() async throws {
        try await TestApp.withDatabase { database in
            let store = SQLDataStore(database: database)
            let person = try await Self.seed(store)
            let ws = Self.workspaceId
            let profile = try await store.read { try await $0.customers.profile(of: person, traitHistoryLimit: 50) }
            let separate = try await store.read { repos in
                (identifiers: try await repos.customers.identifiers(workspaceId: ws, customerId: person.id),
                 purchases: try await repos.orders.stats(workspaceId: ws, customerId: person.id),
                 accounts: try await repos.accounts.accounts(workspaceId: ws, customerId: person.id),
                 merges: try await repos.customers.merges(workspaceId: ws, customerId: person.id),
                 consents: try await repos.consents.history(workspaceId: ws, customerId: person.id),
                 traits: try await repos.customers.traitHistory(workspaceId: ws, customerId: person.id, limit: 50))
            }
            #expect(profile.customer == person)
            #expect(profile.identifiers == separate.identifiers)
            #expect(profile.identifiers.map(\.description) == [
                "anonymous_id:dev-1", "email:ann@example.com", "external:stripe/cus_1", "phone:+15550100", "user_id:9007199254740993",
            ])
            #expect(profile.purchases == separate.purchases)
            #expect(profile.purchases.byCurrency.map { "\($0.currency) \($0.orderCount) \($0.revenueMinorUnits) \($0.firstOrderAt)-\($0.lastOrderAt)" }
                    == ["USD 2 9007199254744993 10000-20000", "EUR 1 1999 15000-15000"])
            #expect(profile.accounts == separate.accounts)
            #expect(profile.accounts.map(\.id) == ["a-1", "a-2"])
            #expect(profile.accounts.first?.traits == ["name": .string("acme"), "seats": .number(12)])
            #expect(profile.merges == separate.merges)
            #expect(profile.merges.map(\.id) == ["m-1", "m-2"], "merges into c-bob, merged into Ann later, count; c-other's do not")
            #expect(profile.merges.first?.identifiers == ["anonymous_id:dev-m-1", "email:ünïcode@example.com"])
            #expect(profile.merges.first?.reason == "shared \"device\"")
            #expect(profile.consents == separate.consents)
            #expect(profile.consents.map(\.id) == ["k-2", "k-1", "k-0"], "oldest first")
            #expect(profile.traitHistory == separate.traits)
            #expect(profile.traitHistory.count == 50)
            #expect(profile.traitHistory.first?.recordedAt == 10_059, "newest first")
            #expect(profile.traitHistory.first?.value == .object(["tier": .string("gold 59 ✓"), "n": .number(59)]))
            #expect(profile.traitHistory.contains { $0.value == .null })
        }
    }

    @Test func aProfileWithNothingButItselfHasEmptyLists() async throws {
        try await TestApp.withDatabase { database in
            let store = SQLDataStore(database: database)
            let person = Customer(id: "c-new", workspaceId: Self.workspaceId, createdAt: 1, updatedAt: 1, firstSeenAt: 1, lastSeenAt: 1)
            try await store.write { repos in
                try await repos.workspaces.insert(Workspace(id: Self.workspaceId, name: "Profiles", createdAt: 1))
                try await repos.customers.insert(person)
            }
            let profile = try await store.read { try await $0.customers.profile(of: person, traitHistoryLimit: 50) }
            #expect(profile.identifiers.isEmpty && profile.accounts.isEmpty && profile.merges.isEmpty)
            #expect(profile.consents.isEmpty && profile.traitHistory.isEmpty && profile.purchases == .none)
            #expect(profile.lifecycleStage == "visitor")
        }
    }

    /// Every list is one range of its by-customer (or by-survivor) index: no table is walked, on either database.
    @Test func theOneStatementReadsEachListByItsIndex() async throws {
        try await TestApp.withDatabase { database in
            let plan = try await StoreUpkeepTests.plan(database, SQLCustomerRepository.profileQuery(
                workspaceId: "w", customerId: "c", traitHistoryLimit: 50, postgres: database.kind == .postgres))
            for table in ["customer_identifiers", "orders", "accounts", "account_members", "customer_merges", "consents", "trait_history"] {
                #expect(!plan.contains("SCAN \(table) ") && !plan.hasSuffix("SCAN \(table)"), "\(plan)")
            }
            #expect(!plan.contains("Seq Scan"), "\(plan)")
            #expect(!plan.contains("(workspace_id=?)"), "every range is one profile's, not the workspace's: \(plan)")
            for index in ["customer_identifiers_by_customer_sorted", "orders_by_customer", "account_members_by_customer_account",
                          "customer_merges_by_survivor", "consents_by_customer", "trait_history_by_customer"] {
                #expect(plan.contains(index), "\(index): \(plan)")
            }
        }
    }
}
