import Crypto
import Foundation
import RapportCore

/// HMAC-SHA256 (RFC 2104) over UTF-8 texts, as lower-case hex: the widget's `user_hash`.
public struct HMACMessageAuthenticator: MessageAuthenticator {
    public init() {}

    public func hmacSHA256Hex(key: String, message: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: SymmetricKey(data: Data(key.utf8)))
        return mac.map { String(format: "%02x", $0) }.joined()
    }
}
