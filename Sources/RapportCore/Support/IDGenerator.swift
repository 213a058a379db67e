import Foundation
import Synchronization

/// Makes record ids: UUID version 7 (RFC 9562), so ids sort by creation time and cursors can be `id < last`.
public struct IDGenerator: Sendable {
    private let make: @Sendable () -> String

    public init(_ make: @escaping @Sendable () -> String) { self.make = make }

    public func next() -> String { make() }

    /// Ids whose 48-bit time prefix comes from `clock`; the rest is random, except that ids made within one
    /// millisecond (or while the clock stands still or steps back) are the previous id plus a random step (RFC 9562
    /// §6.2, method 2): every id sorts after the ones this generator made before it, so records written in one
    /// batch (trait changes, timeline rows) keep their order where they are listed newest first by id.
    public static func uuidV7(clock: WallClock) -> IDGenerator {
        let last = Mutex(UUIDv7State(millis: 0, first: 0, second: 0))
        return IDGenerator {
            var rng = SystemRandomNumberGenerator()
            let now = UInt64(max(0, clock.nowMillis)) & 0xFFFF_FFFF_FFFF
            let (first, second) = last.withLock { state in
                state.advance(to: now, using: &rng)
                return ((state.millis << 16) | 0x7000 | state.first, state.second | 0x8000_0000_0000_0000)
            }
            return format(first, second)
        }
    }

    /// The canonical 8-4-4-4-12 lower-case hex form, written into one buffer.
    static func format(_ first: UInt64, _ second: UInt64) -> String {
        String(unsafeUninitializedCapacity: 36) { buffer in
            let digits: StaticString = "0123456789abcdef"
            var out = 0
            for nibble in 0..<32 {
                if out == 8 || out == 13 || out == 18 || out == 23 {
                    buffer[out] = UInt8(ascii: "-")
                    out += 1
                }
                let word = nibble < 16 ? first : second
                buffer[out] = digits.utf8Start[Int((word >> UInt64(60 - 4 * (nibble % 16))) & 0xF)]
                out += 1
            }
            return out
        }
    }

    /// True when `value` is a lowercase or uppercase canonical UUID string.
    public static func isUUID(_ value: String) -> Bool {
        UUID(uuidString: value) != nil
    }
}

/// The last UUIDv7 made: its 48-bit time, 12-bit `rand_a` and 62-bit `rand_b`.
struct UUIDv7State {
    var millis: UInt64
    var first: UInt64
    var second: UInt64

    mutating func advance(to now: UInt64, using rng: inout SystemRandomNumberGenerator) {
        if now > millis {
            millis = now
            first = rng.next() & 0x0FFF
            second = rng.next() & 0x3FFF_FFFF_FFFF_FFFF
            return
        }
        // The 74 random bits as one counter, raised by a random step of at most 2^32; a carry out of them (about
        // once in 2^42 ids of one millisecond) moves the time on by a millisecond.
        second += UInt64.random(in: 1...(1 << 32), using: &rng)
        if second > 0x3FFF_FFFF_FFFF_FFFF {
            second &= 0x3FFF_FFFF_FFFF_FFFF
            first += 1
            if first > 0x0FFF {
                first = 0
                millis = (millis + 1) & 0xFFFF_FFFF_FFFF
            }
        }
    }
}
