import Foundation
import RapportCore
import Testing

@Suite("Timestamps, ids and cursors")
struct TimestampAndIDTests {
    // Reference values computed with Python: datetime.fromtimestamp(ms / 1000, timezone.utc).isoformat()
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (Int64(951_782_400_000), "2000-02-29T00:00:00.000Z"),
        (Int64(1_764_072_000_123), "2025-11-25T12:00:00.123Z"),
        (Int64(-1), "1969-12-31T23:59:59.999Z"),
        (Int64(4_102_444_799_999), "2099-12-31T23:59:59.999Z"),
    ])
    func iso8601FormatsUTCWithMilliseconds(millis: Int64, expected: String) {
        #expect(Timestamp.iso8601(millis) == expected)
    }

    @Test func uuidV7CarriesTheClockAndSortsByTime() {
        let start = Date(timeIntervalSince1970: 1_764_072_000)
        let ticks = LockedCounter()
        let clock = WallClock { start.addingTimeInterval(Double(ticks.next() - 1)) }
        let ids = IDGenerator.uuidV7(clock: clock)
        let made = (0..<50).map { _ in ids.next() }
        #expect(made == made.sorted())
        #expect(Set(made).count == 50)
        for id in made {
            #expect(IDGenerator.isUUID(id))
            #expect(id == id.lowercased())
            let chars = Array(id)
            #expect(chars[14] == "7", "version nibble")
            #expect("89ab".contains(chars[19]), "variant bits")
        }
        let prefix = String(made[0].replacingOccurrences(of: "-", with: "").prefix(12))
        #expect(UInt64(prefix, radix: 16) == 1_764_072_000_000)
    }

    /// Ids made within one millisecond, or after the clock stepped back, still sort in the order they were made:
    /// trait changes and timeline rows written by one batch are listed newest first by id. (Before, only the
    /// millisecond was ordered and 60 changes written at once came back in random order.)
    @Test func uuidV7IdsOfOneMillisecondOrAClockStepBackKeepTheirOrder() {
        let millis = LockedCounter()
        let times: [Int64] = [1_764_072_000_000, 1_764_072_000_000, 1_764_072_000_000, 1_764_071_999_000, 1_764_072_000_001]
        let clock = WallClock { Date(timeIntervalSince1970: Double(times[min(millis.next() - 1, times.count - 1)]) / 1000) }
        let ids = IDGenerator.uuidV7(clock: clock)
        let made = (0..<2_000).map { _ in ids.next() }
        #expect(made == made.sorted())
        #expect(Set(made).count == made.count)
        for id in made {
            let chars = Array(id)
            #expect(chars[14] == "7" && "89ab".contains(chars[19]), "\(id)")
        }
        let prefixes = Set(made.prefix(4).map { UInt64(String($0.replacingOccurrences(of: "-", with: "").prefix(12)), radix: 16) })
        #expect(prefixes == [1_764_072_000_000], "the step back keeps the latest time rather than going back with the clock")
    }

    @Test func cursorsAreTheLastIdAndMustBeUUIDs() throws {
        let id = "01a2129c-31c0-7ad0-b304-1212722d08ad"
        #expect(Cursor.decode(Cursor.encode(id)) == id)
        #expect(Cursor.decode("garbage") == nil)
        #expect(Cursor.decode(Cursor.encode("not-a-uuid")) == nil)
        #expect(throws: RapportError.self) { try PageRequest.parse(limit: "201", cursor: nil) }
        #expect(throws: RapportError.self) { try PageRequest.parse(limit: nil, cursor: "x") }
        #expect(try PageRequest.parse(limit: "7", cursor: Cursor.encode(id)) == PageRequest(limit: 7, after: id))
    }

    @Test func pageKeepsOneRowBackToKnowThereIsMore() {
        let page = Page(fetched: [5, 4, 3], limit: 2) { "0000000\($0)-0000-7000-8000-000000000000" }
        #expect(page.items == [5, 4])
        #expect(page.nextCursor.flatMap(Cursor.decode) == "00000004-0000-7000-8000-000000000000")
        #expect(Page(fetched: [1, 2], limit: 2) { "\($0)" }.nextCursor == nil)
    }
}

final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value }
}
