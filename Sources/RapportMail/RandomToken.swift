/// Unguessable identifiers from the system's cryptographic generator (`getrandom` on Linux).
enum RandomToken {
    static func hex(byteCount: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<byteCount).map { _ in
            String(UInt8.random(in: .min ... .max, using: &generator), radix: 16).leftPadded(to: 2)
        }.joined()
    }

    /// A Message-ID (RFC 5322 §3.6.4) without its angle brackets: 128 random bits, a dot, and the sender's domain.
    static func messageID(domain: String) -> String {
        "\(hex(byteCount: 16))@\(domain)"
    }
}
