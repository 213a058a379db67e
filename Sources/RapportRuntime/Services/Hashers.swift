import Crypto
import Foundation
import HummingbirdBcrypt
import NIOPosix
import RapportCore

/// Bcrypt password hashing, run on the thread pool so it never blocks an event loop.
struct BcryptPasswordHasher: PasswordHasher {
    let cost: UInt8

    func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    func verify(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }
}

/// SHA-256 (hex) of high-entropy secrets: API keys, session tokens, throttle keys.
struct SHA256Digest: SecretDigest {
    func digest(_ secret: String) -> String {
        Hex.lowercase(Array(SHA256.hash(data: Array(secret.utf8))))
    }
}
