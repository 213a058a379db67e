import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import RapportCore
import RapportRuntime
import RapportServer
import RapportStore
import Testing

/// The Segment-compatible tracking API, driven the way a Segment client library drives it.
@Suite("Tracking API and identity resolution")
struct TrackingTests {
    static func basic(_ key: String) -> HTTPFields {
        [.authorization: "Basic " + Data("\(key):".utf8).base64EncodedString(), .contentType: "application/json"]
    }

    static func iso(_ date: Date) -> String { Timestamp.iso8601(date.millisSince1970) }

    struct Workspace {
        let fixture: Fixture
        let trackKey: String
        let http: TestHTTP

        func batch(_ messages: [[String: Any]], sentAt: Date? = nil) async throws -> TestHTTP.Reply {
            var body: [String: Any] = ["batch": messages]
            if let sentAt { body["sentAt"] = TrackingTests.iso(sentAt) }
            return try await http.call(.post, "/v1/batch", json: body, headers: TrackingTests.basic(trackKey))
        }

        func customers(search: String) async throws -> [[String: Any]] {
            let query = search.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? search
            return try await http.get("/api/v1/customers?search=\(query)", key: fixture.adminKey).data
        }

        func timeline(_ id: String, _ extra: String = "") async throws -> TestHTTP.Reply {
            try await http.get("/api/v1/customers/\(id)/timeline\(extra)", key: fixture.adminKey)
        }
    }

    static func run(_ body: @escaping @Sendable (Workspace, AppServices) async throws -> Void) async throws {
        try await TestApp.run { http, services in
            let fixture = try await Fixture.make(services)
            let track = try await fixture.key(services, scope: .track)
            try await body(Workspace(fixture: fixture, trackKey: track, http: http), services)
        }
    }

    @Test func identifyTrackPageAndOrderBuildOneProfileWithATimeline() async throws {
        try await Self.run { ws, _ in
            let t0 = Date().addingTimeInterval(-600)
            let reply = try await ws.batch([
                ["type": "identify", "messageId": "m1", "userId": "u-1", "timestamp": Self.iso(t0),
                 "traits": ["email": "Ann@Example.com", "name": "Ann Lee", "plan": "pro"]],
                ["type": "track", "messageId": "m2", "userId": "u-1", "event": "Signed Up", "timestamp": Self.iso(t0 + 60),
                 "properties": ["source": "ad"]],
                ["type": "page", "messageId": "m3", "userId": "u-1", "name": "Pricing", "timestamp": Self.iso(t0 + 120),
                 "properties": ["url": "https://shop.test/pricing"]],
                ["type": "track", "messageId": "m4", "userId": "u-1", "event": "Order Completed", "timestamp": Self.iso(t0 + 180),
                 "properties": ["order_id": "o-100", "total": 59.5, "currency": "eur",
                                "products": [["product_id": "p1", "sku": "SKU-1", "name": "Mug", "category": "Kitchen",
                                              "price": 12.5, "quantity": 3],
                                             ["product_id": "p2", "name": "Tea", "price": 22, "quantity": 1]]]],
            ])
            #expect(reply.status == .ok)
            #expect(reply.json["success"] as? Bool == true)
            #expect(reply.json["stored"] as? Int == 4)
            let found = try await ws.customers(search: "ann@example.com")
            #expect(found.count == 1)
            let customer = try #require(found.first)
            #expect(customer["email"] as? String == "ann@example.com")
            #expect(customer["name"] as? String == "Ann Lee")
            #expect(try await ws.customers(search: "Lee").count == 1)
            #expect(try await ws.customers(search: "nobody").isEmpty)
            let id = try #require(customer["id"] as? String)
            let timeline = try await ws.timeline(id)
            #expect(timeline.data.map { $0["type"] as? String } == ["order", "page", "track", "identify"])
            let order = try #require(timeline.data.first)
            let properties = try #require(order["properties"] as? [String: Any])
            #expect(properties["order_id"] as? String == "o-100")
            #expect(properties["currency"] as? String == "EUR")
            let products = try #require(properties["products"] as? [[String: Any]])
            #expect(products.map { $0["name"] as? String } == ["Mug", "Tea"])
            #expect(products.first?["quantity"] as? Int == 3)
            let pages = try await ws.timeline(id, "?type=page")
            #expect(pages.data.map { $0["name"] as? String } == ["Pricing"])
            let profile = try await ws.http.get("/api/v1/customers/\(id)", key: ws.fixture.adminKey)
            let purchases = try #require(profile.json["purchases"] as? [String: Any])
            #expect(purchases["order_count"] as? Int == 1)
            #expect(purchases["revenue"] as? Double == 59.5)
            #expect((profile.json["identifiers"] as? [[String: Any]])?.compactMap { $0["type"] as? String }.sorted()
                    == ["email", "user_id"])
            #expect(profile.string("lifecycle_stage") == "customer")
            let history = try #require(profile.json["trait_history"] as? [[String: Any]])
            #expect(Set(history.compactMap { $0["trait"] as? String }) == ["email", "name", "plan"])
            #expect(history.allSatisfy { $0["source"] as? String == "identify" })
        }
    }

    /// The tracking API encodes a message's timeline properties and context while it reads the request; the writer
    /// must store what each type records, the message's own properties only where it keeps them.
    @Test func everyMessageTypesTimelineEntryHoldsWhatItRecords() async throws {
        try await Self.run { ws, _ in
            let t0 = Date().addingTimeInterval(-900)
            let context: [String: Any] = ["ip": "203.0.113.9", "page": ["path": "/pricing"], "locale": "nb-NO"]
            let order: [String: Any] = ["order_id": "o-7", "total": 10, "currency": "usd"]
            let reply = try await ws.batch([
                ["type": "identify", "messageId": "i", "userId": "u-9", "timestamp": Self.iso(t0), "context": context,
                 "traits": ["plan": "pro", "seats": 3]],
                ["type": "track", "messageId": "t", "userId": "u-9", "event": "Clicked", "timestamp": Self.iso(t0 + 10),
                 "properties": ["button": "buy", "price": 12.5, "tags": ["a", "b"]], "context": context],
                ["type": "page", "messageId": "p", "userId": "u-9", "name": "Pricing", "timestamp": Self.iso(t0 + 20),
                 "properties": ["url": "https://shop.test/pricing"]],
                ["type": "track", "messageId": "o1", "userId": "u-9", "event": "Order Completed", "timestamp": Self.iso(t0 + 30),
                 "properties": order],
                // The same order id again: not a second order, so the entry keeps the message's own properties.
                ["type": "track", "messageId": "o2", "userId": "u-9", "event": "Order Completed", "timestamp": Self.iso(t0 + 40),
                 "properties": order.merging(["note": "again"]) { $1 }],
                ["type": "group", "messageId": "g", "userId": "u-9", "groupId": "acme", "timestamp": Self.iso(t0 + 50),
                 "traits": ["name": "Acme"]],
                ["type": "alias", "messageId": "a", "userId": "u-9", "previousId": "visitor-1", "timestamp": Self.iso(t0 + 60)],
            ])
            #expect(reply.json["stored"] as? Int == 7)
            let id = try #require(try await ws.customers(search: "u-9").first?["id"] as? String)
            let entries = try await ws.timeline(id).data
            func entry(_ messageId: String) throws -> [String: Any] {
                try #require(entries.first { $0["message_id"] as? String == messageId })
            }
            func properties(_ messageId: String) throws -> NSDictionary {
                try #require(try entry(messageId)["properties"] as? NSDictionary)
            }
            #expect(try properties("i") == ["plan": "pro", "seats": 3] as NSDictionary)
            #expect(try entry("i")["context"] as? NSDictionary == context as NSDictionary)
            #expect(try properties("t") == ["button": "buy", "price": 12.5, "tags": ["a", "b"]] as NSDictionary)
            #expect(try entry("t")["context"] as? NSDictionary == context as NSDictionary)
            #expect(try properties("p") == ["url": "https://shop.test/pricing"] as NSDictionary)
            #expect(try entry("p")["context"] as? NSDictionary == [:] as NSDictionary)
            #expect(try entry("o1")["type"] as? String == "order")
            #expect(try properties("o1")["currency"] as? String == "USD")
            #expect(try entry("o2")["type"] as? String == "track")
            #expect(try properties("o2") == order.merging(["note": "again"]) { $1 } as NSDictionary)
            #expect(try properties("g") == ["group_id": "acme", "traits": ["name": "Acme"]] as NSDictionary)
            #expect(try properties("a") == ["previous_id": "visitor-1", "user_id": "u-9"] as NSDictionary)
        }
    }

    @Test func theSameMessageIdTwiceIsStoredOnce() async throws {
        try await Self.run { ws, _ in
            let message: [String: Any] = ["type": "track", "messageId": "dup-1", "anonymousId": "a-1", "event": "Clicked"]
            #expect(try await ws.batch([message, message]).json["duplicates"] as? Int == 1)
            let again = try await ws.http.call(.post, "/v1/track", json: message, headers: Self.basic(ws.trackKey))
            #expect(again.status == .ok)
            let customers = try await ws.http.get("/api/v1/customers", key: ws.fixture.adminKey).data
            #expect(customers.count == 1)
            let id = try #require(customers.first?["id"] as? String)
            #expect(try await ws.timeline(id).data.count == 1)
        }
    }

    /// A client that retries after a timeout resends messages already stored. Each batch learns exactly which of its
    /// messages were duplicates, and the group they are written with is written once: no rollback, no second
    /// write of the other messages (a retry storm must not multiply the writer's work).
    @Test func duplicatesInAGroupDoNotMakeItWriteTwice() async throws {
        try await Self.run { ws, services in
            func message(_ id: String) -> [String: Any] {
                ["type": "track", "messageId": id, "userId": "retry-\(id.suffix(1))", "event": "Clicked"]
            }
            #expect(try await ws.batch((0..<20).map { message("first-\($0)") }).json["stored"] as? Int == 20)
            let before = services.database.transactionCounts
            let retried = try await ws.batch((0..<20).map { message("first-\($0)") } + (0..<5).map { message("new-\($0)") })
            #expect(retried.json["stored"] as? Int == 5)
            #expect(retried.json["duplicates"] as? Int == 20)
            // Concurrent retries, grouped by group commit: each still gets its own answer.
            let answers = try await withThrowingTaskGroup(of: (Int, Int?, Int?).self) { group in
                for client in 0..<4 {
                    group.addTask {
                        let reply = try await ws.batch([message("first-\(client)"), message("own-\(client)"), message("first-\(client)")])
                        return (client, reply.json["stored"] as? Int, reply.json["duplicates"] as? Int)
                    }
                }
                return try await group.reduce(into: [Int: (Int?, Int?)]()) { $0[$1.0] = ($1.1, $1.2) }
            }
            for client in 0..<4 {
                #expect(answers[client]?.0 == 1)
                #expect(answers[client]?.1 == 2)
            }
            let after = services.database.transactionCounts
            #expect(after.rolledBack == before.rolledBack, "a duplicate rolled a write back")
            let customers = try await ws.http.get("/api/v1/customers?limit=100", key: ws.fixture.adminKey).data
            var events = 0
            for customer in customers {
                events += try await ws.timeline(try #require(customer["id"] as? String), "?limit=200").data.count
            }
            #expect(events == 20 + 5 + 4)
        }
    }

    @Test func anonymousVisitorWhoIdentifiesKeepsTheirPageViews() async throws {
        try await Self.run { ws, _ in
            let t0 = Date().addingTimeInterval(-3600)
            _ = try await ws.batch([
                ["type": "page", "anonymousId": "anon-9", "name": "Home", "timestamp": Self.iso(t0)],
                ["type": "page", "anonymousId": "anon-9", "name": "Pricing", "timestamp": Self.iso(t0 + 30)],
            ])
            // An existing known customer, seen before on another device.
            _ = try await ws.batch([["type": "identify", "userId": "u-9", "traits": ["email": "bo@example.com"],
                                     "timestamp": Self.iso(t0 - 86400)]])
            #expect(try await ws.http.get("/api/v1/customers", key: ws.fixture.adminKey).data.count == 2)
            _ = try await ws.batch([["type": "identify", "userId": "u-9", "anonymousId": "anon-9", "timestamp": Self.iso(t0 + 60)]])
            let customers = try await ws.http.get("/api/v1/customers", key: ws.fixture.adminKey).data
            #expect(customers.count == 1)
            let id = try #require(customers.first?["id"] as? String)
            let timeline = try await ws.timeline(id)
            let pages = timeline.data.filter { $0["type"] as? String == "page" }.compactMap { $0["name"] as? String }
            #expect(pages == ["Pricing", "Home"])
            #expect(timeline.data.contains { $0["type"] as? String == "merge" })
            let profile = try await ws.http.get("/api/v1/customers/\(id)", key: ws.fixture.adminKey)
            let merges = try #require(profile.json["merges"] as? [[String: Any]])
            #expect(merges.count == 1)
            #expect(merges.first?["reason"] as? String == "shared identifier")
            #expect(profile.string("email") == "bo@example.com")
            // The merged profile's old id still leads to the survivor.
            let mergedId = try #require(merges.first?["merged_id"] as? String)
            #expect(try await ws.http.get("/api/v1/customers/\(mergedId)", key: ws.fixture.adminKey).string("id") == id)
        }
    }

    /// Concurrent batches naming the same new people must neither fail nor create duplicate profiles (on PostgreSQL,
    /// writers run in parallel; identity resolution is serialised per workspace).
    @Test func concurrentBatchesResolveEachPersonOnce() async throws {
        try await Self.run { ws, _ in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for batch in 0..<8 {
                    group.addTask {
                        let messages = (0..<40).map { i -> [String: Any] in
                            ["type": "track", "userId": "same-\(i % 10)", "anonymousId": "device-\(i % 10)", "event": "Clicked",
                             "messageId": "c-\(batch)-\(i)", "context": ["traits": ["email": "same\(i % 10)@example.com"]]]
                        }
                        return Int(try await ws.batch(messages).status.code)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: 200, count: 8))
            let customers = try await ws.http.get("/api/v1/customers?limit=100", key: ws.fixture.adminKey).data
            #expect(customers.count == 10)
            let id = try #require(customers.first?["id"] as? String)
            #expect(try await ws.timeline(id, "?limit=200").data.count == 32)
        }
    }

    /// Batches sent at the same time may be committed together (group commit); each answer still reports only its
    /// own messages: its duplicates, and its rejected messages by their index in that batch.
    @Test func concurrentBatchesEachGetTheirOwnAnswer() async throws {
        try await Self.run { ws, _ in
            struct Answer: Sendable { var rejected: [Int?]; var stored: Int?; var duplicates: Int? }
            let answers = try await withThrowingTaskGroup(of: (Int, Answer).self) { group in
                for batch in 0..<6 {
                    group.addTask {
                        var messages: [[String: Any]] = (0..<10).map { i in
                            ["type": "track", "userId": "p-\(i)", "event": "Viewed", "messageId": "own-\(batch)-\(i)"]
                        }
                        messages.append(["type": "track", "userId": "p-0", "event": "Shared", "messageId": "shared-1"])
                        // A message only the domain rejects (an order without an id), at a different place in each batch.
                        messages.insert(["type": "track", "userId": "p-1", "event": "Order Completed",
                                         "properties": ["total": 10]], at: batch)
                        let reply = try await ws.batch(messages)
                        #expect(reply.status == .ok)
                        let rejected = (reply.json["rejected"] as? [[String: Any]] ?? []).map { $0["index"] as? Int }
                        return (batch, Answer(rejected: rejected, stored: reply.json["stored"] as? Int,
                                              duplicates: reply.json["duplicates"] as? Int))
                    }
                }
                return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
            var duplicates = 0
            for (batch, answer) in answers {
                #expect(answer.rejected == [batch])
                let stored = try #require(answer.stored)
                let duplicate = try #require(answer.duplicates)
                #expect(stored + duplicate == 11)
                duplicates += duplicate
            }
            #expect(duplicates == 5)
            let customers = try await ws.http.get("/api/v1/customers?limit=100", key: ws.fixture.adminKey).data
            #expect(customers.count == 10)
            var events = 0
            for customer in customers {
                events += try await ws.timeline(try #require(customer["id"] as? String), "?limit=200").data.count
            }
            #expect(events == 6 * 10 + 1)
        }
    }

    /// Events of a known person that change no trait still move first/last seen (written as a narrow update), and
    /// leave the traits as they were.
    @Test func laterAndEarlierEventsMoveLastAndFirstSeen() async throws {
        try await Self.run { ws, _ in
            let t0 = Date(timeIntervalSince1970: 1_760_000_000)
            _ = try await ws.batch([["type": "identify", "userId": "s-1", "traits": ["email": "seen@example.com", "plan": "pro"],
                                     "timestamp": Self.iso(t0)]])
            let id = try #require(try await ws.customers(search: "seen@example.com").first?["id"] as? String)
            // A profile created by ingest is found by its ids as well (its search entry is written from memory).
            _ = try await ws.batch([["type": "track", "userId": "zed42", "anonymousId": "device7x", "event": "Opened"]])
            for term in ["zed42", "device7x"] {
                #expect(try await ws.customers(search: term).count == 1, "search \(term)")
            }
            _ = try await ws.batch([["type": "track", "userId": "s-1", "event": "Opened", "timestamp": Self.iso(t0 + 3600)],
                                    ["type": "track", "userId": "s-1", "event": "Opened", "timestamp": Self.iso(t0 + 1800)]])
            var profile = try await ws.http.get("/api/v1/customers/\(id)", key: ws.fixture.adminKey)
            #expect(profile.string("first_seen_at") == Self.iso(t0))
            #expect(profile.string("last_seen_at") == Self.iso(t0 + 3600))
            _ = try await ws.batch([["type": "page", "userId": "s-1", "name": "Home", "timestamp": Self.iso(t0 - 60)]])
            profile = try await ws.http.get("/api/v1/customers/\(id)", key: ws.fixture.adminKey)
            #expect(profile.string("first_seen_at") == Self.iso(t0 - 60))
            #expect(profile.string("last_seen_at") == Self.iso(t0 + 3600))
            #expect((profile.json["traits"] as? [String: Any])?["plan"] as? String == "pro")
            #expect(try await ws.timeline(id).data.count == 4)
        }
    }

    /// A changed name replaces the profile's search entry: found by the new name, no longer by the old one (an old
    /// email stays findable: it remains one of the person's identifiers), and other profiles' entries are untouched.
    @Test func searchFollowsAChangedName() async throws {
        try await Self.run { ws, _ in
            _ = try await ws.batch([["type": "identify", "userId": "m-1", "traits": ["name": "Zanzibar Quill", "email": "zq@example.com"]],
                                    ["type": "identify", "userId": "m-2", "traits": ["name": "Other Person"]]])
            #expect(try await ws.customers(search: "zanzibar").count == 1)
            _ = try await ws.batch([["type": "identify", "userId": "m-1", "traits": ["name": "Marigold Quill"]]])
            #expect(try await ws.customers(search: "zanzibar").isEmpty)
            #expect(try await ws.customers(search: "marigold").count == 1)
            #expect(try await ws.customers(search: "zq@example.com").count == 1)
            #expect(try await ws.customers(search: "other person").count == 1)
        }
    }

    /// Search finds the profiles having every word, the last one as a prefix, with the same answers whether few
    /// profiles have the other words (the prefix is then checked on their entries) or more than a thousand (the
    /// full-text prefix lookup); accents fold as each database's index folds them.
    @Test func searchMatchesEveryWordAndTheLastAsAPrefix() async throws {
        try await Self.run { ws, _ in
            _ = try await ws.batch([
                ["type": "identify", "userId": "s-1", "traits": ["name": "Ann Lee", "email": "ann@example.com"]],
                ["type": "identify", "userId": "s-2", "traits": ["name": "Ann Other", "email": "x@example.com"]],
                ["type": "identify", "userId": "s-3", "traits": ["name": "Annabel Lee", "email": "annabel@example.org"]],
                ["type": "identify", "userId": "s-4", "traits": ["name": "Renée Ann", "email": "ra@example.net"]],
            ])
            func names(_ search: String) async throws -> Set<String> {
                Set(try await ws.customers(search: search).compactMap { $0["name"] as? String })
            }
            func expectAnswers() async throws {
                #expect(try await names("ann example co") == ["Ann Lee", "Ann Other"])
                #expect(try await names("ann@example.com") == ["Ann Lee", "Ann Other"])
                #expect(try await names("lee annab") == ["Annabel Lee"])
                #expect(try await names("ann example xyz").isEmpty)
                #expect(try await names("example ren") == ["Renée Ann"])
                #expect(try await names("ann rené") == ["Renée Ann"])
                // FTS5 folds accents away (`remove_diacritics 2`); PostgreSQL's `simple` configuration keeps them.
                #expect(try await names("ann rene") == (TestApp.backendName == "sqlite" ? ["Renée Ann"] : []))
                #expect(try await names("ann lee zz").isEmpty)
            }
            try await expectAnswers()
            // 5,001 more people named Ann: the other words now match too many profiles to check one by one, and on
            // PostgreSQL a prefix of all of them too many to look up by id (the full-text join pages through them).
            for part in [0...2500, 2501...5000] {
                let bulk: [[String: Any]] = part.map { i in
                    ["type": "identify", "userId": "b-\(i)", "traits": ["name": "Ann Bulk\(i)", "email": "bulk\(i)@example.org"]]
                }
                #expect(try await ws.batch(bulk).status == .ok)
            }
            try await expectAnswers()
            #expect(try await names("ann bulk100") == Set(["Ann Bulk100"] + (1000...1009).map { "Ann Bulk\($0)" }))
            // 5,001 profiles have a word starting with `bulk`: the search lists 1,000 of them (on SQLite the most
            // recently indexed), newest first across its pages, and every page says that the list is capped.
            var seen: [String] = []
            var capped: [Int?] = []
            var cursor: String?
            repeat {
                let page = try await ws.http.get("/api/v1/customers?search=bulk&limit=200\(cursor.map { "&cursor=\($0)" } ?? "")",
                                                 key: ws.fixture.adminKey)
                seen += page.data.compactMap { $0["name"] as? String }
                capped.append(page.json["matches_capped_at"] as? Int)
                cursor = page.json["next_cursor"] as? String
            } while cursor != nil
            #expect(seen.count == 1000)
            #expect(Set(seen).count == 1000)
            #expect(capped.count == 5 && capped.allSatisfy { $0 == 1000 })
            if TestApp.backendName == "sqlite" {
                // The most recently indexed: all from the second bulk batch (Bulk2501…Bulk5000).
                #expect(seen.allSatisfy { (Int($0.dropFirst("Ann Bulk".count)) ?? 0) >= 2501 })
            }
            // One letter: as broad, as bounded.
            let letter = try await ws.http.get("/api/v1/customers?search=b&limit=5", key: ws.fixture.adminKey)
            #expect(letter.data.count == 5)
            #expect(letter.json["matches_capped_at"] as? Int == 1000)
            // A narrower search lists every match and carries no cap.
            let narrow = try await ws.http.get("/api/v1/customers?search=bulk10&limit=200", key: ws.fixture.adminKey)
            #expect(narrow.data.count == 1 + 10 + 100) // bulk10, bulk100…bulk109, bulk1000…bulk1099
            #expect(narrow.json["matches_capped_at"] == nil)
        }
    }

    @Test func twoKnownUsersOnASharedDeviceAreNotMerged() async throws {
        try await Self.run { ws, _ in
            _ = try await ws.batch([["type": "identify", "userId": "alice", "anonymousId": "shared-laptop"]])
            _ = try await ws.batch([["type": "identify", "userId": "bob"]])
            _ = try await ws.batch([["type": "track", "userId": "bob", "anonymousId": "shared-laptop", "event": "Viewed"]])
            #expect(try await ws.http.get("/api/v1/customers", key: ws.fixture.adminKey).data.count == 2)
        }
    }

    @Test func oneBatchMergesAVisitorIntoItsUserAndKeepsSharedDeviceUsersApart() async throws {
        try await Self.run { ws, _ in
            // A stored visitor: older than anyone the next batch creates, so its profile survives the merge below.
            #expect(try await ws.batch([["type": "track", "anonymousId": "visitor-1", "event": "Viewed Pricing"]]).status == .ok)
            try await Task.sleep(for: .milliseconds(5))
            let reply = try await ws.batch([
                ["type": "identify", "userId": "carol", "traits": ["name": "Carol Field"]],
                ["type": "track", "userId": "carol", "event": "Started Trial"],
                // The visitor logs in as Carol: Carol's new profile, its entries and its user id fold into the
                // visitor's, in the middle of the batch.
                ["type": "track", "userId": "carol", "anonymousId": "visitor-1", "event": "Signed Up"],
                ["type": "identify", "userId": "alice", "anonymousId": "laptop", "traits": ["name": "Alice Stone"]],
                ["type": "identify", "userId": "bob", "traits": ["name": "Bob Marsh"]],
                // Bob, then Carol, on Alice's laptop: different known users are never merged; each event goes to
                // its sender.
                ["type": "track", "userId": "bob", "anonymousId": "laptop", "event": "Viewed Cart"],
                ["type": "track", "userId": "carol", "anonymousId": "laptop", "event": "Opened Invoice"],
            ])
            #expect(reply.status == .ok)
            #expect(reply.json["stored"] as? Int == 7)
            #expect(try await ws.http.get("/api/v1/customers", key: ws.fixture.adminKey).data.count == 3)
            func events(_ name: String) async throws -> [String] {
                let id = try #require(try await ws.customers(search: name).first?["id"] as? String)
                return try await ws.timeline(id, "?type=track").data.compactMap { $0["name"] as? String }.sorted()
            }
            #expect(try await events("Carol") == ["Opened Invoice", "Signed Up", "Started Trial", "Viewed Pricing"])
            #expect(try await events("Bob") == ["Viewed Cart"])
            #expect(try await events("Alice").isEmpty)
        }
    }

    /// A transaction's merges move the merged profiles' stored rows together when it flushes. Until then a later
    /// message of the same batch still sees what a profile absorbed: a user id stored on it keeps two known users
    /// apart, and a chain of merges (a profile absorbed, its survivor absorbed in turn) leaves every row with the last
    /// survivor.
    @Test func aBatchsMergesMoveStoredRowsAtTheEndAndKeepKnownUsersApartMeanwhile() async throws {
        try await Self.run { ws, _ in
            // Stored profiles, oldest first (the oldest of a merge survives).
            for message: [String: Any] in [
                ["type": "track", "anonymousId": "web-1", "event": "Read Blog"],
                ["type": "track", "anonymousId": "kiosk", "event": "Visited Store"],
                ["type": "identify", "userId": "frank", "traits": ["email": "frank@example.com", "name": "Frank Moss"]],
                ["type": "track", "userId": "frank", "event": "Bought Gloves"],
                ["type": "identify", "userId": "gina", "traits": ["name": "Gina Park"]],
            ] {
                #expect(try await ws.batch([message]).status == .ok)
                try await Task.sleep(for: .milliseconds(5))
            }
            let frank = try #require(try await ws.customers(search: "frank").first?["id"] as? String)
            let reply = try await ws.batch([
                // Frank's email at the kiosk: the kiosk visitor absorbs Frank's profile (and the user id stored on it,
                // which this batch never names).
                ["type": "identify", "anonymousId": "kiosk", "traits": ["email": "frank@example.com"]],
                // Gina at the kiosk: a different known user from the one the kiosk profile absorbed; not merged.
                ["type": "track", "userId": "gina", "anonymousId": "kiosk", "event": "Asked For Help"],
                // Frank's email on his old browser: the kiosk profile (with Frank's) folds into the older web visitor.
                ["type": "identify", "anonymousId": "web-1", "traits": ["email": "frank@example.com"]],
            ])
            #expect(reply.status == .ok)
            #expect(reply.json["stored"] as? Int == 3)
            #expect(try await ws.http.get("/api/v1/customers", key: ws.fixture.adminKey).data.count == 2)
            let survivor = try await ProfileWriterTests.profile(ws, frank)
            let survivorId = try #require(survivor["id"] as? String)
            #expect(survivorId != frank)
            #expect(ProfileWriterTests.identifiers(survivor).sorted() == [
                "anonymous_id=kiosk", "anonymous_id=web-1", "email=frank@example.com", "user_id=frank",
            ])
            let events = try await ws.timeline(survivorId, "?type=track").data.compactMap { $0["name"] as? String }.sorted()
            #expect(events == ["Bought Gloves", "Read Blog", "Visited Store"])
            let gina = try #require(try await ws.customers(search: "gina").first?["id"] as? String)
            #expect(gina != survivorId)
            #expect(try await ws.timeline(gina, "?type=track").data.compactMap { $0["name"] as? String } == ["Asked For Help"])
            #expect(try await ws.customers(search: "frank").map { $0["id"] as? String } == [survivorId])
        }
    }

    @Test func aliasMergesAndTraitsAreCombinedLastWriteWins() async throws {
        try await Self.run { ws, _ in
            let t0 = Date().addingTimeInterval(-7200)
            _ = try await ws.batch([["type": "identify", "anonymousId": "old-id", "timestamp": Self.iso(t0),
                                     "traits": ["plan": "free", "city": "Oslo"]]])
            _ = try await ws.batch([["type": "identify", "userId": "new-id", "timestamp": Self.iso(t0 + 600),
                                     "traits": ["plan": "pro"]]])
            // A late message with an older timestamp must not overwrite the newer plan.
            _ = try await ws.batch([["type": "identify", "anonymousId": "old-id", "timestamp": Self.iso(t0 + 60),
                                     "traits": ["plan": "trial"]]])
            let alias = try await ws.http.call(.post, "/v1/alias", json: ["previousId": "old-id", "userId": "new-id"],
                                               headers: Self.basic(ws.trackKey))
            #expect(alias.status == .ok)
            let customers = try await ws.http.get("/api/v1/customers", key: ws.fixture.adminKey).data
            #expect(customers.count == 1)
            let traits = try #require(customers.first?["traits"] as? [String: Any])
            #expect(traits["plan"] as? String == "pro")
            #expect(traits["city"] as? String == "Oslo")
        }
    }

    @Test func clientClockSkewIsCorrectedWithSentAt() async throws {
        try await Self.run { ws, _ in
            // The device's clock runs 1 hour fast: it says the event was 10 minutes before it sent the batch.
            let deviceNow = Date().addingTimeInterval(3600)
            _ = try await ws.batch([["type": "track", "anonymousId": "skew", "event": "Opened",
                                     "timestamp": Self.iso(deviceNow.addingTimeInterval(-600))]], sentAt: deviceNow)
            let id = try #require(try await ws.http.get("/api/v1/customers", key: ws.fixture.adminKey).data.first?["id"] as? String)
            let event = try #require(try await ws.timeline(id).data.first)
            let occurred = try #require(ISO8601.millis(event["occurred_at"] as? String ?? ""))
            let expected = Date().addingTimeInterval(-600).millisSince1970
            #expect(abs(occurred - expected) < 30_000)
        }
    }

    @Test func limitsBadMessagesAndGzip() async throws {
        try await Self.run { ws, _ in
            let big = String(repeating: "x", count: 33 * 1024)
            let reply = try await ws.batch([
                ["type": "track", "anonymousId": "a", "event": "Fine", "messageId": "ok-1"],
                ["type": "track", "anonymousId": "a", "event": "Huge", "messageId": "big-1", "properties": ["blob": big]],
                ["type": "track", "anonymousId": "a", "messageId": "no-event"],
                ["type": "teleport", "anonymousId": "a"],
            ])
            #expect(reply.status == .ok)
            #expect(reply.json["stored"] as? Int == 1)
            let rejected = try #require(reply.json["rejected"] as? [[String: Any]])
            #expect(rejected.map { $0["index"] as? Int } == [1, 2, 3])
            #expect(rejected.map { $0["code"] as? String } == ["message_too_large", "validation_failed", "validation_failed"])
            #expect(rejected[1]["field"] as? String == "event")

            let single = try await ws.http.call(.post, "/v1/track", json: ["anonymousId": "a", "event": "Huge", "properties": ["blob": big]],
                                                headers: Self.basic(ws.trackKey))
            #expect(single.status == .contentTooLarge)
            let missing = try await ws.http.call(.post, "/v1/track", json: ["event": "No ids"], headers: Self.basic(ws.trackKey))
            #expect(missing.status == .badRequest)
            #expect((missing.json["error"] as? [String: Any])?["details"] as? [String: String] == ["field": "userId"])

            let messages = (0..<400).map { i in ["type": "track", "anonymousId": "a", "event": "E\(i)",
                                                 "properties": ["pad": String(repeating: "p", count: 1400)]] as [String: Any] }
            let huge = try await ws.batch(messages)
            #expect(huge.status == .contentTooLarge)
            #expect((huge.json["error"] as? [String: Any])?["message"] as? String == "The request body is larger than the limit of 512000 bytes.")

            let json = try JSONSerialization.data(withJSONObject: ["batch": [["type": "track", "anonymousId": "gz", "event": "Zipped"]]])
            var headers = Self.basic(ws.trackKey)
            headers[.contentEncoding] = "gzip"
            let zipped = try await ws.http.client.execute(uri: "/v1/batch", method: .post, headers: headers,
                                                          body: ByteBuffer(bytes: try Gzip.compress(Array(json))))
            #expect(zipped.status == .ok)
            // Identifiers are searchable too: the anonymous id finds the profile.
            #expect(try await ws.customers(search: "gz").count == 1)
            #expect(try await ws.http.get("/api/v1/customers", key: ws.fixture.adminKey).data.count == 2)
        }
    }

    @Test func trackingNeedsATrackKeyOfTheWorkspace() async throws {
        try await Self.run { ws, services in
            let message: [String: Any] = ["anonymousId": "a", "event": "X"]
            let refused = try await ws.http.call(.post, "/v1/track", json: message)
            #expect(refused.status == .unauthorized)
            #expect(refused.headers[.accessControlAllowOrigin] == "*", "browsers can read tracking errors too")
            let preflight = try await ws.http.call(.options, "/v1/batch", headers: [.origin: "https://shop.example.com"])
            #expect(preflight.status == .noContent)
            #expect(preflight.headers[.accessControlAllowMethods]?.contains("POST") == true)
            let read = try await ws.fixture.key(services, scope: .read)
            let byRead = try await ws.http.call(.post, "/v1/track", json: message, headers: Self.basic(read))
            #expect(byRead.status == .forbidden)
            var withBodyKey = message
            withBodyKey["writeKey"] = ws.trackKey
            #expect(try await ws.http.call(.post, "/v1/track", json: withBodyKey).status == .ok)

            let other = try await Fixture.make(services, name: "Other", ownerEmail: "o@other.test")
            let mine = try await ws.http.get("/api/v1/customers", key: ws.fixture.adminKey).data
            let id = try #require(mine.first?["id"] as? String)
            #expect(try await ws.http.get("/api/v1/customers/\(id)", key: other.adminKey).status == .notFound)
            #expect(try await ws.http.get("/api/v1/customers/\(id)/timeline", key: other.adminKey).status == .notFound)
            #expect(try await ws.http.get("/api/v1/customers", key: other.adminKey).data.isEmpty)
        }
    }
}
