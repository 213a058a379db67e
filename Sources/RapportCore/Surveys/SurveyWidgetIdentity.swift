/// Identity verification for the web widget (docs/surveys.md, "Identity verification"): the write key in a page is
/// public, so anyone could claim any `user_id`. With `requireUserHash`, the widget shows nothing unless the page also
/// sends `user_hash`, the hex HMAC-SHA256 of the user id keyed with the workspace's `secret`, which only the
/// customer's own server can compute (Intercom's scheme).
public struct SurveyWidgetIdentity: Sendable, Equatable {
    public var requireUserHash: Bool
    /// 32 random bytes as base64url; the HMAC key is its UTF-8 text. Kept readable, like webhook signing secrets,
    /// because the server must compute the HMAC itself.
    public var secret: String?

    public init(requireUserHash: Bool = false, secret: String? = nil) {
        self.requireUserHash = requireUserHash
        self.secret = secret
    }

    public static let keys: Set<String> = ["require_user_hash", "rotate_secret"]

    /// Whether `hash` is the user id's HMAC under the secret (compared in constant time, any case of hex).
    public func verifies(userId: String, hash: String?, mac: any MessageAuthenticator) -> Bool {
        guard let secret, let hash else { return false }
        let expected = Array(mac.hmacSHA256Hex(key: secret, message: userId).utf8)
        let given = Array(hash.lowercased().utf8)
        guard expected.count == given.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(expected, given) { difference |= a ^ b }
        return difference == 0
    }

    public var json: JSONValue { ["require_user_hash": .bool(requireUserHash), "secret": JSONValue(secret)] }
}

/// Computes message authentication codes (swift-crypto's HMAC in production).
public protocol MessageAuthenticator: Sendable {
    /// The lower-case hex HMAC-SHA256 of `message`'s UTF-8 bytes keyed with `key`'s UTF-8 bytes.
    func hmacSHA256Hex(key: String, message: String) -> String
}
