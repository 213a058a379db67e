import Crypto
import Foundation
import RapportCore

/// Standard Webhooks signatures: `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body`, keyed with the bytes the
/// `whsec_` secret encodes (https://www.standardwebhooks.com, "Signature scheme").
public struct HMACWebhookSigner: WebhookSigner {
    public init() {}

    public func signature(messageId: String, timestamp: Int64, body: String, secret: String) -> String {
        let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
        let key = SymmetricKey(data: Data(base64Encoded: encoded) ?? Data(encoded.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(messageId).\(timestamp).\(body)".utf8), using: key)
        return "v1," + Data(mac).base64EncodedString()
    }
}
