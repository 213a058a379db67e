import Foundation

/// Makes record ids: UUID version 7 (RFC 9562), so ids sort by creation time and cursors can be `id < last`.
public struct IDGenerator: Sendable {
    private let make: @Sendable () -> String

    public init(_ make: @escaping @Sendable () -> String) { self.make = make }

    public func next() -> String { make() }

    /// Ids whose 48-bit time prefix comes from `clock`; the rest is random.
    public static func uuidV7(clock: WallClock) -> IDGenerator {
        IDGenerator {
            var rng = SystemRandomNumberGenerator()
            let high = rng.next() as UInt64, low = rng.next() as UInt64
            let ms = UInt64(max(0, clock.nowMillis)) & 0xFFFF_FFFF_FFFF
            // 48 bits of time, version 7, 12 random bits; variant 10, 62 random bits (RFC 9562 §5.7).
            let first = (ms << 16) | 0x7000 | (high & 0x0FFF)
            let second = (low & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
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
