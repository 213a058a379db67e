import Foundation
import Hummingbird
import HummingbirdTesting
import RapportCore
import RapportRuntime
import RapportServer
@testable import RapportStore
import SQLKit
import Testing

/// The registry of tables that hold a person's data (`CustomerDataTables`) is complete, and merge, erase and export
/// do what it says for every table in it, on the suite's database.
@Suite("Registry of customer data")
struct CustomerDataRegistryTests {
    /// The tables of the live schema that have a `customer_id` column.
    static func tablesWithCustomerId(_ database: DatabaseClient) async throws -> Set<String> {
        try await database.read { db in
            let query: SQLQueryString = db.isPostgres
                ? """
                  SELECT table_name AS name FROM information_schema.columns
                  WHERE table_schema = current_schema() AND column_name = 'customer_id'
                  """
                : """
                  SELECT m.name AS name FROM sqlite_master m JOIN pragma_table_info(m.name) p
                  WHERE m.type = 'table' AND p.name = 'customer_id'
                  """
            return Set(try await db.raw(query).all().map { try $0.decode(column: "name", as: String.self) })
        }
    }

    @Test func everyTableWithACustomerIdIsInTheRegistry() async throws {
        try await TestApp.withDatabase { database in
            let live = try await Self.tablesWithCustomerId(database)
            #expect(live.contains("orders") && live.contains("customer_search"), "the schema query found \(live)")
            let registered = Set(CustomerDataTables.tables(database.kind).filter { $0.customerColumns.contains("customer_id") }.map(\.name))
            #expect(live.subtracting(registered).isEmpty, "tables with customer_id missing from CustomerDataTables")
            #expect(registered.subtracting(live).isEmpty, "registered tables without customer_id on \(database.kind)")
            // Tables that name the person by other columns have them.
            for table in CustomerDataTables.tables(database.kind) {
                for column in table.customerColumns {
                    try await database.read { db in
                        _ = try await db.raw("SELECT \(unsafeRaw: column) FROM \(unsafeRaw: table.name) WHERE 1 = 0").all()
                    }
                }
            }
        }
    }

    /// Rows of `table` that name `customerId` in any of its person columns.
    static func count(_ database: DatabaseClient, _ table: CustomerDataTables.Table, workspaceId: String, _ customerId: String)
        async throws -> Int {
        try await database.read { db in
            var sql = SQLQueryString("SELECT COUNT(*) AS n FROM \(unsafeRaw: table.name) WHERE workspace_id = \(bind: workspaceId) AND (")
            for (offset, column) in table.customerColumns.enumerated() {
                sql.appendInterpolation(unsafeRaw: offset == 0 ? "" : " OR ")
                sql.appendInterpolation(unsafeRaw: "\(column) = ")
                sql.appendInterpolation(bind: customerId)
            }
            sql.appendInterpolation(unsafeRaw: ")")
            return try await db.raw(sql).first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    /// How many distinct keys two profiles hold together in a membership table.
    static func distinctKeys(_ database: DatabaseClient, _ table: String, key: String, workspaceId: String, _ ids: [String])
        async throws -> Int {
        try await database.read { db in
            try await db.raw("""
                SELECT COUNT(DISTINCT \(unsafeRaw: key)) AS n FROM \(unsafeRaw: table)
                WHERE workspace_id = \(bind: workspaceId) AND customer_id IN (\(bind: ids[0]), \(bind: ids[1]))
                """).first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    /// Two profiles with rows in every registered table: the older one (`keep-1`) and a later anonymous one that also
    /// belongs to the keeper's account and segment (the conflicts a merge must resolve) and to an account of its own.
    static func twoProfiles(_ ws: TrackingTests.Workspace) async throws -> (survivor: String, merged: String) {
        try await CustomerProfileTests.send(ws, [
            ["type": "identify", "userId": "keep-1", "traits": ["email": "kay@example.com", "name": "Kay",
                                                                "consent": ["marketing_email": true]]],
            ["type": "group", "userId": "keep-1", "groupId": "acme", "traits": ["name": "Acme"]],
            ["type": "track", "userId": "keep-1", "event": "Order Completed", "properties": ["order_id": "K-1", "total": 5]],
        ])
        try await CustomerProfileTests.send(ws, [
            ["type": "identify", "anonymousId": "anon-gone", "traits": ["plan": "pro", "consent": ["marketing_email": false]]],
            ["type": "group", "anonymousId": "anon-gone", "groupId": "acme"],
            ["type": "group", "anonymousId": "anon-gone", "groupId": "solo-co"],
            ["type": "track", "anonymousId": "anon-gone", "event": "Order Completed", "properties": ["order_id": "G-1", "total": 7]],
        ])
        let segment = try await ws.http.call(.post, "/api/v1/segments", key: ws.fixture.adminKey,
                                             json: ["name": "Buyers", "rule": ["field": "orders.count", "op": "gte", "value": 1]])
        #expect(segment.json["member_count"] as? Int == 2, "\(segment.text)")
        let survivor = try #require(try await ws.customers(search: "kay").first?["id"] as? String)
        let merged = try #require(try await ws.customers(search: "anon-gone").first?["id"] as? String)
        return (survivor, merged)
    }

    @Test func mergeMovesEveryRegisteredTableAndEraseLeavesNothing() async throws {
        try await TrackingTests.run { ws, services in
            let database = services.database
            let workspaceId = ws.fixture.workspace.id
            // An endpoint for every event, so that both profiles have webhook deliveries (never sent: the address is
            // refused at delivery time).
            let now = services.core.clock.nowMillis
            try await services.core.store.write { repos in
                try await repos.webhooks.insert(WebhookEndpoint(
                    id: services.core.ids.next(), workspaceId: workspaceId, url: "http://127.0.0.1:9/all",
                    description: nil, eventTypes: WebhookEventType.allCases, enabled: true, secret: "whsec_dGVzdA==",
                    createdAt: now, updatedAt: now))
            }
            // A rule on orders, so that both profiles have automation runs (scheduled a day ahead: never acted on here).
            let rule = try await ws.http.call(.post, "/api/v1/automation/rules", key: ws.fixture.adminKey, json: [
                "name": "Orders", "trigger": ["type": "order_completed"], "delay_seconds": 86_400,
                "actions": [["type": "add_note", "text": "Thank them."]]])
            let ruleId = try #require(rule.string("id"), "\(rule.text)")
            let (survivor, merged) = try await Self.twoProfiles(ws)
            // An email to each (stored as sent; this test is about the rows, not the sending).
            try await services.core.store.write { repos in
                for id in [survivor, merged] {
                    let emailId = services.core.ids.next()
                    try await repos.emails.insert(OutboundEmail(
                        id: emailId, workspaceId: workspaceId, customerId: id, recipient: "kay@example.com", purpose: "surveys",
                        templateId: nil, content: EmailContent(subject: "Hello", text: "Hi", html: nil),
                        messageId: "\(emailId)@localhost", unsubscribeToken: nil, source: "api", now: now))
                }
            }
            // A survey answered unhappily by each, through the API: each answer opens a follow-up case, given a note.
            let survey = try await ws.http.call(.post, "/api/v1/surveys", key: ws.fixture.adminKey, json: [
                "name": "NPS", "questions": [["id": "score", "type": "nps", "text": "How likely?"]]])
            let surveyId = try #require(survey.string("id"), "\(survey.text)")
            for id in [survivor, merged] {
                let answered = try await ws.http.call(.post, "/api/v1/surveys/\(surveyId)/responses", key: ws.fixture.adminKey,
                                                      json: ["customer_id": id, "answers": ["score": 3]])
                #expect(answered.status == .created, "\(answered.text)")
                let opened = try await ws.http.get("/api/v1/follow-ups?customer_id=\(id)", key: ws.fixture.adminKey).data
                let caseId = try #require(opened.first?["id"] as? String, "a case for \(id)")
                let noted = try await ws.http.call(.post, "/api/v1/follow-ups/\(caseId)/notes", key: ws.fixture.adminKey,
                                                   json: ["text": "Called back."])
                #expect(noted.status == .created, "\(noted.text)")
            }
            // An invitation to each, with a link (stored directly: this test is about the rows, not the sending).
            try await services.core.store.write { repos in
                for id in [survivor, merged] {
                    let invitation = SurveyInvitation(id: services.core.ids.next(), workspaceId: workspaceId, surveyId: surveyId,
                                                      customerId: id, status: .sent, source: "api", sendAt: now, sentAt: now,
                                                      createdAt: now, updatedAt: now)
                    try await repos.surveyInvitations.insert(invitation)
                    try await repos.surveyInvitations.addToken(hash: "hash-\(id)", invitation: invitation, at: now)
                }
            }
            try await JobWorkerTests.eventually("both orders have automation runs") {
                try await ws.http.get("/api/v1/automation/rules/\(ruleId)/runs", key: ws.fixture.adminKey).data.count == 2
            }
            let tables = CustomerDataTables.tables(database.kind)
            var before: [String: (survivor: Int, merged: Int, union: Int)] = [:]
            for table in tables {
                let survivorRows = try await Self.count(database, table, workspaceId: workspaceId, survivor)
                let mergedRows = try await Self.count(database, table, workspaceId: workspaceId, merged)
                var union = survivorRows + mergedRows
                if case .reassignUnlessSurvivorHas(let key) = table.onMerge {
                    union = try await Self.distinctKeys(database, table.name, key: key, workspaceId: workspaceId, [survivor, merged])
                    #expect(union < survivorRows + mergedRows, "\(table.name): the test needs a membership both profiles hold")
                }
                if table.onMerge != .keep { #expect(mergedRows > 0, "\(table.name): the merged profile needs rows for the test") }
                before[table.name] = (survivorRows, mergedRows, union)
            }

            // The merge's probe finds every table that holds the merged profile's rows (it skips the others).
            let holding = try await database.read { db in
                try await SQLCustomerRepository(db: db).tablesHolding(workspaceId: workspaceId, customerIds: [merged])
            }
            for table in tables where table.onMerge != .keep && table.onMerge != .searchIndex {
                #expect(holding.contains(table.name), "\(table.name) holds rows of the merged profile")
            }

            let reply = try await ws.http.call(.post, "/api/v1/customers/\(merged)/merge", key: ws.fixture.adminKey,
                                               json: ["customer_id": survivor])
            #expect(reply.status == .ok && reply.string("id") == survivor, "\(reply.text)")
            for table in tables {
                let counts = try #require(before[table.name])
                let survivorRows = try await Self.count(database, table, workspaceId: workspaceId, survivor)
                let mergedRows = try await Self.count(database, table, workspaceId: workspaceId, merged)
                switch table.onMerge {
                case .reassign:
                    #expect(mergedRows == 0, "\(table.name)")
                    #expect(survivorRows >= counts.survivor + counts.merged, "\(table.name)")
                case .reassignUnlessSurvivorHas:
                    #expect(mergedRows == 0, "\(table.name)")
                    #expect(survivorRows == counts.union, "\(table.name): each membership once")
                case .searchIndex:
                    #expect(mergedRows == 0, "\(table.name)")
                    #expect(survivorRows == 1, "\(table.name)")
                case .keep:
                    #expect(survivorRows >= 1, "\(table.name): the merge is recorded")
                }
            }

            let export = try await ws.http.get("/api/v1/customers/\(survivor)/export", key: ws.fixture.adminKey)
            #expect(export.status == .ok)
            for section in CustomerDataTables.exportSections {
                #expect((export.json[section] as? [Any])?.isEmpty == false, "export section \(section)")
            }
            #expect((export.json["segments"] as? [[String: Any]])?.first?["name"] as? String == "Buyers")

            #expect(try await ws.http.call(.delete, "/api/v1/customers/\(survivor)", key: ws.fixture.adminKey).status == .noContent)
            for table in tables {
                for id in [survivor, merged] {
                    #expect(try await Self.count(database, table, workspaceId: workspaceId, id) == 0, "\(table.name) still names \(id)")
                }
                if table.onErase == .anonymise {
                    let kept = try await database.read { db in
                        try await db.raw("""
                            SELECT COUNT(*) AS n FROM \(unsafeRaw: table.name) WHERE workspace_id = \(bind: workspaceId) AND customer_id IS NULL
                            """).first()?.decode(column: "n", as: Int.self) ?? 0
                    }
                    #expect(kept == 2, "\(table.name): the rows stay without the person")
                }
            }
        }
    }

    /// A visitor who logs in: the anonymous profile has identifiers, timeline rows and a search entry only. The merge's
    /// probe names exactly the tables with a profile's rows, so the merge skips the others; the merge still moves them
    /// all, records itself and leaves one search entry, the survivor's.
    @Test func aMergeVisitsOnlyTheTablesHoldingTheMergedProfilesRows() async throws {
        try await TrackingTests.run { ws, services in
            let database = services.database
            let workspaceId = ws.fixture.workspace.id
            try await CustomerProfileTests.send(ws, [
                ["type": "identify", "userId": "u-7", "traits": ["email": "ann@example.com", "name": "Ann"]],
                ["type": "page", "anonymousId": "visitor-7", "name": "Pricing"],
            ])
            let person = try #require(try await ws.customers(search: "ann").first?["id"] as? String)
            let visitor = try #require(try await ws.customers(search: "visitor-7").first?["id"] as? String)
            #expect(person != visitor)
            let tables = CustomerDataTables.tables(database.kind)
            for id in [person, visitor] {
                var withRows: Set<String> = []
                for table in tables where table.onMerge != .keep && table.onMerge != .searchIndex {
                    if try await Self.count(database, table, workspaceId: workspaceId, id) > 0 { withRows.insert(table.name) }
                }
                let holding = try await database.read { db in
                    try await SQLCustomerRepository(db: db).tablesHolding(workspaceId: workspaceId, customerIds: [id])
                }
                // The search entry is not probed: a transaction's merges remove their entries together when it flushes.
                #expect(holding == withRows)
                #expect(holding.isSuperset(of: ["customer_identifiers", "activities"]), "\(holding)")
                #expect(!holding.contains("orders") && !holding.contains("survey_responses"), "\(holding)")
            }

            // The visitor logs in: one message names both profiles. The older profile survives (both were created by one
            // batch here, so either may be it): the API answers for the other with the survivor.
            try await CustomerProfileTests.send(ws, [["type": "track", "userId": "u-7", "anonymousId": "visitor-7", "event": "Signed In"]])
            let survivor = try #require(try await ws.http.get("/api/v1/customers/\(visitor)", key: ws.fixture.adminKey).string("id"))
            let merged = survivor == visitor ? person : visitor
            for table in tables where table.onMerge != .keep {
                #expect(try await Self.count(database, table, workspaceId: workspaceId, merged) == 0, "\(table.name) still names \(merged)")
            }
            let timeline = try await ws.http.get("/api/v1/customers/\(survivor)/timeline", key: ws.fixture.adminKey).data
            let names = Set(timeline.compactMap { $0["name"] as? String })
            #expect(names.isSuperset(of: ["Pricing", "Signed In"]), "\(names)")
            let profile = try await ws.http.get("/api/v1/customers/\(survivor)", key: ws.fixture.adminKey)
            #expect(profile.text.contains("visitor-7") && profile.text.contains("ann@example.com"), "\(profile.text)")
            #expect(profile.text.contains("\"merged_id\":\"\(merged)\""), "the merge is recorded: \(profile.text)")
            for word in ["visitor-7", "ann"] {
                let found = try await ws.customers(search: word).compactMap { $0["id"] as? String }
                #expect(found == [survivor], "one search entry, the survivor's: \(word)")
            }
        }
    }

    /// A segment refresh evaluates its rule before its writing transaction: a profile merged (or erased) in between
    /// must not be given a membership there (it would be counted, and announced as entering, on a forwarding row).
    @Test func aRefreshsLateWriteSkipsProfilesMergedOrErasedSinceItsEvaluation() async throws {
        try await TrackingTests.run { ws, services in
            let workspaceId = ws.fixture.workspace.id
            try await CustomerProfileTests.send(ws, [
                ["type": "identify", "userId": "u-8", "traits": ["email": "bo@example.com"]],
                ["type": "identify", "userId": "u-9", "traits": ["email": "cy@example.com"]],
            ])
            let first = try #require(try await ws.customers(search: "bo@example.com").first?["id"] as? String)
            let second = try #require(try await ws.customers(search: "cy@example.com").first?["id"] as? String)
            let made = try await ws.http.call(.post, "/api/v1/segments", key: ws.fixture.adminKey, json: [
                "name": "Nobody yet", "rule": ["all": [["field": "trait.tier", "op": "eq", "value": "nobody"]]]])
            let segmentId = try #require(made.string("id"), "\(made.text)")
            // Evaluated: both match. Then the second is merged into the first, and a third profile is erased.
            let merged = try await ws.http.call(.post, "/api/v1/customers/\(second)/merge", key: ws.fixture.adminKey,
                                                json: ["customer_id": first])
            // The older profile survives (both were made by one batch, so either may be it).
            let survivor = try #require(merged.string("id"), "\(merged.text)")
            #expect(merged.status == .ok && [first, second].contains(survivor), "\(merged.text)")
            let added = try await services.core.store.write { repos in
                try await repos.segments.addMembers(workspaceId: workspaceId, segmentId: segmentId,
                                                    [first, second, "erased-meanwhile"], at: 1)
            }
            #expect(added == [survivor])
            let members = try await services.core.store.read { repos in
                try await repos.segments.memberIds(workspaceId: workspaceId, segmentId: segmentId)
            }
            #expect(members == [survivor])
            // Added again: already a member, so not reported as entering twice.
            let again = try await services.core.store.write { repos in
                try await repos.segments.addMembers(workspaceId: workspaceId, segmentId: segmentId, [survivor], at: 2)
            }
            #expect(again.isEmpty)
        }
    }
}
