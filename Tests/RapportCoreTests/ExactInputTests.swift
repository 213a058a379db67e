import Foundation
import RapportCore
import Testing

/// Input is refused, never repaired (issue 9, points 1, 2 and 4): repairing invalid UTF-8 or rounding a large
/// integer makes two different ids one; U+0000 cannot be stored on PostgreSQL.
@Suite("Exact input: UTF-8, large integers, NUL, bounded times")
struct ExactInputTests {
    // MARK: - Bounded clock-skew correction

    static let received = ISO8601.millis("2026-11-25T12:00:00Z")!

    @Test(arguments: [
        // Correction within range: applied (Segment's formula).
        ("2026-11-25T12:50:00Z", "2026-11-25T13:00:00Z", "2026-11-25T11:50:00Z"),
        // Year 9999 stamped, sent in year 0001: the correction gives year 12025; neither is plausible.
        ("9999-12-31T00:00:00Z", "0001-01-01T00:00:00Z", "2026-11-25T12:00:00Z"),
        ("0001-01-01T00:00:00Z", "9999-12-31T00:00:00Z", "2026-11-25T12:00:00Z"),
        // A plausible stamp with a broken sentAt keeps the stamp.
        ("2026-01-02T03:04:05Z", "0001-01-01T00:00:00Z", "2026-01-02T03:04:05Z"),
        // A device reset to 1970 that says so in sentAt too is corrected (the point of the formula).
        ("1970-01-01T00:05:00Z", "1970-01-01T00:06:00Z", "2026-11-25T11:59:00Z"),
    ])
    func skewCorrectionIsBounded(timestamp: String, sentAt: String, expected: String) {
        let corrected = EventTime.corrected(timestamp: ISO8601.millis(timestamp), sentAt: ISO8601.millis(sentAt),
                                            receivedAt: Self.received)
        #expect(corrected == ISO8601.millis(expected), "\(Timestamp.iso8601(corrected))")
    }

    @Test func statedTimesOutsideTheRangeFallBackToReceived() {
        let day: Int64 = 86_400_000
        #expect(EventTime.corrected(timestamp: Self.received + day, sentAt: nil, receivedAt: Self.received) == Self.received + day)
        #expect(EventTime.corrected(timestamp: Self.received + day + 1, sentAt: nil, receivedAt: Self.received) == Self.received)
        #expect(EventTime.corrected(timestamp: EventTime.earliest, sentAt: nil, receivedAt: Self.received) == EventTime.earliest)
        #expect(EventTime.corrected(timestamp: EventTime.earliest - 1, sentAt: nil, receivedAt: Self.received) == Self.received)
        #expect(EventTime.corrected(timestamp: nil, sentAt: nil, receivedAt: Self.received) == Self.received)
        #expect(Timestamp.iso8601(EventTime.earliest) == "2000-01-01T00:00:00.000Z")
    }
}
