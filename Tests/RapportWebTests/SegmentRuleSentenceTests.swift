import Foundation
import RapportCore
import RapportWeb
import Testing

/// Segment rules read as sentences on the Segments pages: every field kind with every operator it takes, groups,
/// nesting and exclusion.
@Suite("Segment rules as sentences")
struct SegmentRuleSentenceTests {
    static func sentence(_ json: String, names: [String: String] = [:], zone: String = "UTC") throws -> String {
        let value = try #require(JSONValue.parse(json))
        let rule = try SegmentRule.parse(value, allowSegments: true)
        return SegmentRuleSentence(segmentNames: names, timeZone: TimeZone(identifier: zone)!).describe(rule)
    }

    @Test(arguments: [
        // Traits: every operator.
        (#"{"field": "trait.plan", "op": "eq", "value": "pro"}"#, "Plan is pro"),
        (#"{"field": "trait.plan", "op": "neq", "value": "free"}"#, "Plan is not free"),
        (#"{"field": "trait.seats", "op": "lt", "value": 10}"#, "Seats is less than 10"),
        (#"{"field": "trait.seats", "op": "lte", "value": 10.5}"#, "Seats is at most 10.5"),
        (#"{"field": "trait.seats", "op": "gt", "value": 10}"#, "Seats is more than 10"),
        (#"{"field": "trait.seats", "op": "gte", "value": 10}"#, "Seats is at least 10"),
        (#"{"field": "trait.email", "op": "contains", "value": "@corp"}"#, "Email contains @corp"),
        (#"{"field": "trait.company_size", "op": "exists"}"#, "Company size is set"),
        (#"{"field": "trait.firstName", "op": "not_exists"}"#, "First name is not set"),
        (#"{"field": "trait.plan", "op": "in", "value": ["free", "team", 3]}"#, "Plan is one of free, team, 3"),
        (#"{"field": "trait.renewal_date", "op": "before", "value": "2027-01-05"}"#, "Renewal date is before 5 Jan 2027"),
        (#"{"field": "trait.renewal_date", "op": "after", "value": "2026-12-01T17:05:00Z"}"#,
         "Renewal date is after 1 Dec 2026, 17:05 UTC"),
        // Events: numeric operators, with and without a window.
        (#"{"field": "event.Logged In.count", "op": "gte", "value": 3, "within_days": 30}"#,
         "Did Logged In at least 3 times in the last 30 days"),
        (#"{"field": "event.Logged In.count", "op": "eq", "value": 1}"#, "Did Logged In exactly 1 time"),
        (#"{"field": "event.Logged In.count", "op": "neq", "value": 0, "within_days": 1}"#,
         "Did Logged In other than 0 times in the last 1 day"),
        (#"{"field": "event.Signed Up.count", "op": "lt", "value": 2}"#, "Did Signed Up fewer than 2 times"),
        (#"{"field": "event.Signed Up.count", "op": "lte", "value": 2}"#, "Did Signed Up at most 2 times"),
        (#"{"field": "event.Signed Up.count", "op": "gt", "value": 2}"#, "Did Signed Up more than 2 times"),
        // Orders.
        (#"{"field": "orders.count", "op": "gte", "value": 2}"#, "Placed at least 2 orders"),
        (#"{"field": "orders.count", "op": "eq", "value": 1}"#, "Placed exactly 1 order"),
        (#"{"field": "orders.revenue", "op": "gt", "value": 1000}"#, "Spent more than 1000 in total"),
        (#"{"field": "orders.last_order_at", "op": "within_days", "value": 90}"#, "Ordered in the last 90 days"),
        (#"{"field": "orders.last_order_at", "op": "before", "value": "2026-06-01"}"#, "Last ordered before 1 Jun 2026"),
        (#"{"field": "orders.last_order_at", "op": "after", "value": "2026-06-01"}"#, "Last ordered after 1 Jun 2026"),
        (#"{"field": "orders.last_order_at", "op": "exists"}"#, "Has ordered"),
        (#"{"field": "orders.last_order_at", "op": "not_exists"}"#, "Has never ordered"),
        // Activity dates.
        (#"{"field": "last_seen_at", "op": "within_days", "value": 7}"#, "Was seen in the last 7 days"),
        (#"{"field": "last_seen_at", "op": "before", "value": "2026-01-01"}"#, "Was last seen before 1 Jan 2026"),
        (#"{"field": "last_seen_at", "op": "exists"}"#, "Has been seen"),
        (#"{"field": "last_seen_at", "op": "not_exists"}"#, "Has never been seen"),
        (#"{"field": "first_seen_at", "op": "after", "value": "2026-01-01"}"#, "Was first seen after 1 Jan 2026"),
        (#"{"field": "first_seen_at", "op": "within_days", "value": 1}"#, "Was first seen in the last 1 day"),
        // RFM.
        (#"{"field": "rfm.recency", "op": "gte", "value": 4}"#, "RFM recency score is at least 4"),
        (#"{"field": "rfm.frequency", "op": "lt", "value": 2}"#, "RFM frequency score is fewer than 2"),
        (#"{"field": "rfm.monetary", "op": "eq", "value": 5}"#, "RFM monetary score is exactly 5"),
        (#"{"field": "rfm.score", "op": "gte", "value": 13}"#, "RFM score is at least 13"),
        // Groups, nesting and exclusion.
        (#"{"all": [{"field": "trait.plan", "op": "eq", "value": "pro"}, {"field": "orders.count", "op": "gte", "value": 2}]}"#,
         "Plan is pro and placed at least 2 orders"),
        (#"{"any": [{"field": "rfm.score", "op": "gte", "value": 13}, {"field": "orders.revenue", "op": "gt", "value": 1000}]}"#,
         "RFM score is at least 13 or spent more than 1000 in total"),
        (#"{"all": [{"field": "trait.plan", "op": "eq", "value": "pro"}, {"any": [{"field": "last_seen_at", "op": "within_days", "value": 7}, {"field": "orders.count", "op": "gte", "value": 1}]}]}"#,
         "Plan is pro and (was seen in the last 7 days or placed at least 1 order)"),
        (#"{"all": [{"field": "trait.plan", "op": "eq", "value": "pro"}, {"not": {"field": "trait.email", "op": "contains", "value": "@example.com"}}]}"#,
         "Plan is pro and not (Email contains @example.com)"),
        (#"{"not": {"any": [{"field": "trait.plan", "op": "eq", "value": "free"}, {"field": "orders.count", "op": "eq", "value": 0}]}}"#,
         "Not (Plan is free or placed exactly 0 orders)"),
        (#"{"all": [{"field": "trait.plan", "op": "eq", "value": "pro"}]}"#, "Plan is pro"),
    ])
    func everyFieldAndOperatorReadsAsASentence(json: String, expected: String) throws {
        #expect(try Self.sentence(json) == expected)
    }

    @Test func segmentMembershipNamesTheSegmentAndDatesWithATimeUseTheWorkspaceZone() throws {
        let id = "0194d7a0-0000-7000-8000-000000000001"
        #expect(try Self.sentence(#"{"field": "segment.\#(id)", "op": "exists"}"#, names: [id: "VIPs"]) == "Is in segment VIPs")
        #expect(try Self.sentence(#"{"field": "segment.\#(id)", "op": "not_exists"}"#, names: [id: "VIPs"])
                == "Is not in segment VIPs")
        #expect(try Self.sentence(#"{"field": "segment.\#(id)", "op": "exists"}"#) == "Is in a deleted segment")
        let oslo = try Self.sentence(#"{"field": "last_seen_at", "op": "after", "value": "2026-12-01T17:05:00Z"}"#,
                                     zone: "Europe/Oslo")
        #expect(oslo.hasPrefix("Was last seen after 1 Dec 2026, 18:05 "), "\(oslo)")
    }

    @Test(arguments: [("plan", "Plan"), ("first_name", "First name"), ("firstName", "First name"), ("company.size", "Company size"),
                      ("NPS", "NPS"), ("_", "_")])
    func traitNamesReadAsLabels(name: String, label: String) {
        #expect(SegmentRuleSentence.traitLabel(name) == label)
    }
}
