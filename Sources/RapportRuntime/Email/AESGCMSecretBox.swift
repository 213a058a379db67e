import Crypto
import Foundation
import RapportCore

/// Seals secrets with AES-256-GCM under the server's `SECRET_KEY`: `v1.` and the base64 of nonce, ciphertext and tag.
/// GCM authenticates as well as encrypts, so a sealed value altered in the database, or opened under another key,
/// fails instead of yielding garbage.
public struct AESGCMSecretBox: SecretBox {
    let key: SymmetricKey

    public init(key: [UInt8]) {
        self.key = SymmetricKey(data: key)
    }

    public static let keyLength = 32

    public func seal(_ plaintext: String) throws -> String {
        let box = try AES.GCM.seal(Array(plaintext.utf8), using: key)
        guard let combined = box.combined else { throw SecretBoxError() }
        return "v1." + combined.base64EncodedString()
    }

    public func open(_ sealed: String) throws -> String {
        guard sealed.hasPrefix("v1."), let data = Data(base64Encoded: String(sealed.dropFirst(3))) else { throw SecretBoxError() }
        let plain = try AES.GCM.open(try AES.GCM.SealedBox(combined: data), using: key)
        guard let text = String(data: plain, encoding: .utf8) else { throw SecretBoxError() }
        return text
    }
}

struct SecretBoxError: Error, CustomStringConvertible {
    var description: String { "a sealed secret cannot be opened with this server's SECRET_KEY (was the key changed?)" }
}
