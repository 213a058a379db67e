import Foundation

/// Makes record ids: UUID version 7 (RFC 9562), so ids sort by creation time and cursors can be `id < last`.
public struct IDGenerator: Sendable {
    private let make: @Sendable () -> String

    public init(_ make: @escaping @Sendable () -> String) { self.make = make }

    public func next() -> String { make() }

    /// Ids whose 48-bit time prefix comes from `clock`; the rest is random.
    public static func uuidV7(clock: WallClock) -> IDGenerator {
        IDGenerator {
            var bytes = [UInt8](repeating: 0, count: 16)
            var rng = SystemRandomNumberGenerator()
            for i in 0..<16 { bytes[i] = UInt8.random(in: 0...255, using: &rng) }
            let ms = UInt64(max(0, clock.nowMillis))
            for i in 0..<6 { bytes[i] = UInt8((ms >> (8 * UInt64(5 - i))) & 0xFF) }
            bytes[6] = (bytes[6] & 0x0F) | 0x70
            bytes[8] = (bytes[8] & 0x3F) | 0x80
            let hex = bytes.map { String(format: "%02x", $0) }.joined()
            let parts = [hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4),
                         hex.dropFirst(16).prefix(4), hex.dropFirst(20)]
            return parts.joined(separator: "-")
        }
    }

    /// True when `value` is a lowercase or uppercase canonical UUID string.
    public static func isUUID(_ value: String) -> Bool {
        UUID(uuidString: value) != nil
    }
}
