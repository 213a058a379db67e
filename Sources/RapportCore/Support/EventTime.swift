/// The range of times an event, an order or a profile may be stored at: from 2000-01-01T00:00:00Z to a day after
/// the server received it. Anything outside is a broken clock (a device reset to 1970, a year 9999 placeholder)
/// or a skew correction that went wrong, never a real customer event. See docs/decisions.md (2026-12-01).
public enum EventTime {
    /// 2000-01-01T00:00:00Z in milliseconds since 1970.
    public static let earliest: Int64 = 946_684_800_000
    /// How far past the time received an event may lie: a day, so a client that stamps local time as UTC
    /// (up to 14 hours ahead) is not refused.
    public static let maxAhead: Int64 = 86_400_000

    /// The times accepted for something received at `receivedAt`.
    public static func plausible(receivedAt: Int64) -> ClosedRange<Int64> {
        earliest...max(earliest, receivedAt + maxAhead)
    }

    /// Segment's clock-skew correction, bounded: `receivedAt − (sentAt − timestamp)` when that lies in the
    /// plausible range, else the stated `timestamp` when it does, else `receivedAt`.
    public static func corrected(timestamp: Int64?, sentAt: Int64?, receivedAt: Int64) -> Int64 {
        guard let timestamp else { return receivedAt }
        let range = plausible(receivedAt: receivedAt)
        if let sentAt {
            // Both are within years 0001–9999, so the difference cannot overflow.
            let (corrected, overflow) = receivedAt.subtractingReportingOverflow(sentAt - timestamp)
            if !overflow, range.contains(corrected) { return corrected }
        }
        return range.contains(timestamp) ? timestamp : receivedAt
    }
}
