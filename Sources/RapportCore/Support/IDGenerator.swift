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
            let hex = hex16(first) + hex16(second)
            let chars = Array(hex)
            return String(chars[0..<8]) + "-" + String(chars[8..<12]) + "-" + String(chars[12..<16]) + "-"
                + String(chars[16..<20]) + "-" + String(chars[20..<32])
        }
    }

    private static func hex16(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// True when `value` is a lowercase or uppercase canonical UUID string.
    public static func isUUID(_ value: String) -> Bool {
        UUID(uuidString: value) != nil
    }
}
