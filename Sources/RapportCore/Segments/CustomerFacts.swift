/// What segment rules look at for one customer, loaded in bulk.
public struct CustomerFacts: Sendable, Equatable {
    public var customerId: String
    public var traits: [String: JSONValue]
    public var firstSeenAt: Int64
    public var lastSeenAt: Int64
    public var orderCount: Int
    public var revenue: Double
    public var lastOrderAt: Int64?
    public var eventCounts: [EventWindow: Int]
    /// The segments the customer is a member of, loaded only for rules that test membership (automation conditions).
    public var segmentIds: Set<String>

    public init(customerId: String, traits: [String: JSONValue], firstSeenAt: Int64, lastSeenAt: Int64, orderCount: Int = 0,
                revenue: Double = 0, lastOrderAt: Int64? = nil, eventCounts: [EventWindow: Int] = [:], segmentIds: Set<String> = []) {
        self.customerId = customerId
        self.traits = traits
        self.firstSeenAt = firstSeenAt
        self.lastSeenAt = lastSeenAt
        self.orderCount = orderCount
        self.revenue = revenue
        self.lastOrderAt = lastOrderAt
        self.eventCounts = eventCounts
        self.segmentIds = segmentIds
    }
}

/// Workspace-wide inputs of an evaluation: the time and the RFM quintiles.
public struct SegmentContext: Sendable {
    public var now: Int64
    public var rfm: RFMScorer

    public init(now: Int64, rfm: RFMScorer) {
        self.now = now
        self.rfm = rfm
    }
}

/// RFM scoring (Hughes, "Strategic Database Marketing"): recency (time since the last order), frequency (completed
/// orders) and monetary value (revenue) each scored 1–5 by quintile among customers with at least one completed
/// order, 5 being best (most recent, most frequent, highest revenue); the RFM score is their sum (3–15). Customers
/// without orders score 0 on each. A value's score is ⌈5 · F(v)⌉, F being the empirical distribution function among
/// purchasers (the share whose value is ≤ v): the top fifth scores 5, ties share a score, and the best purchaser
/// always scores 5 however few purchasers there are.
public struct RFMScorer: Sendable {
    /// Sorted ascending; "better" is larger for all three (recency uses the last order time itself).
    let lastOrders: [Int64]
    let frequencies: [Int]
    let revenues: [Double]

    public struct Scores: Sendable, Equatable {
        public var recency: Int
        public var frequency: Int
        public var monetary: Int
        public var total: Int { recency + frequency + monetary }
    }

    public init(purchasers: [(lastOrderAt: Int64, orders: Int, revenue: Double)]) {
        lastOrders = purchasers.map(\.lastOrderAt).sorted()
        frequencies = purchasers.map(\.orders).sorted()
        revenues = purchasers.map(\.revenue).sorted()
    }

    public static let empty = RFMScorer(purchasers: [])

    public func scores(_ facts: CustomerFacts) -> Scores {
        guard facts.orderCount > 0, let last = facts.lastOrderAt, !frequencies.isEmpty else {
            return Scores(recency: 0, frequency: 0, monetary: 0)
        }
        return Scores(recency: Self.quintile(last, in: lastOrders), frequency: Self.quintile(facts.orderCount, in: frequencies),
                      monetary: Self.quintile(facts.revenue, in: revenues))
    }

    static func quintile<T: Comparable>(_ value: T, in sorted: [T]) -> Int {
        // Count of values ≤ `value`, by binary search.
        var low = 0, high = sorted.count
        while low < high {
            let mid = (low + high) / 2
            if sorted[mid] <= value { low = mid + 1 } else { high = mid }
        }
        return max(1, min(5, (5 * low + sorted.count - 1) / sorted.count))
    }
}
