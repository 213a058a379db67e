/// Hashes and checks passwords (bcrypt in production; the server supplies it).
public protocol PasswordHasher: Sendable {
    func hash(_ password: String) async throws -> String
    func verify(_ password: String, hash: String) async throws -> Bool
}

/// Hashes high-entropy secrets (API keys, session tokens) for lookup; SHA-256 in production.
public protocol SecretDigest: Sendable {
    func digest(_ secret: String) -> String
}

/// Random, unguessable tokens.
public enum SecretToken {
    /// `bytes` random bytes as base64url without padding.
    public static func make(bytes: Int = 32) -> String { base64url(randomBytes(bytes)) }

    /// `count` bytes from the system's cryptographic generator.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        var rng = SystemRandomNumberGenerator()
        var raw = [UInt8](repeating: 0, count: count)
        // Eight bytes a call to the system generator (one `getrandom` each), not one.
        var word: UInt64 = 0
        for i in 0..<count {
            if i % 8 == 0 { word = rng.next() }
            raw[i] = UInt8(truncatingIfNeeded: word >> UInt64(8 * (i % 8)))
        }
        return raw
    }

    static func base64url(_ bytes: [UInt8]) -> String {
        let alphabet: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        let symbol = { (n: UInt32) in UnicodeScalar(alphabet.utf8Start[Int(n & 63)]) }
        var out = ""
        out.unicodeScalars.reserveCapacity((bytes.count * 4 + 2) / 3)
        var i = 0
        while i + 2 < bytes.count {
            let n = (UInt32(bytes[i]) << 16) | (UInt32(bytes[i + 1]) << 8) | UInt32(bytes[i + 2])
            out.unicodeScalars.append(symbol(n >> 18)); out.unicodeScalars.append(symbol(n >> 12))
            out.unicodeScalars.append(symbol(n >> 6)); out.unicodeScalars.append(symbol(n))
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let n = UInt32(bytes[i]) << 16
            out.unicodeScalars.append(symbol(n >> 18)); out.unicodeScalars.append(symbol(n >> 12))
        } else if rest == 2 {
            let n = (UInt32(bytes[i]) << 16) | (UInt32(bytes[i + 1]) << 8)
            out.unicodeScalars.append(symbol(n >> 18)); out.unicodeScalars.append(symbol(n >> 12))
            out.unicodeScalars.append(symbol(n >> 6))
        }
        return out
    }

    /// An API key secret: `rk_` and 32 random bytes.
    public static func apiKey() -> String { "rk_" + make(bytes: 32) }
}
