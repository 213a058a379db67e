import Crypto
import Foundation
import RapportCore
import RapportStore

extension AppConfig {
    /// Without `SECRET_KEY`, an installation on its embedded SQLite database keeps its key in `secret.key` beside the
    /// database file (made on first start, readable by its owner only), so that workspaces can store SMTP passwords
    /// with no setup. The key sits beside the data it protects, which guards a copied database file, not a copied
    /// folder; set `SECRET_KEY` to keep the two apart. PostgreSQL installations (several processes) need `SECRET_KEY`.
    public mutating func loadLocalSecretKey() throws {
        guard secretKey == nil, case .sqlite(let path) = database, path != ":memory:", !path.isEmpty else { return }
        let file = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("secret.key")
        if let text = try? String(contentsOf: file, encoding: .utf8) {
            guard let key = Data(base64Encoded: text.trimmed), key.count == AESGCMSecretBox.keyLength else {
                throw ConfigError("\(file.path) does not hold a SECRET_KEY (the base64 of 32 bytes)")
            }
            secretKey = Array(key)
            return
        }
        let key = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        let created = FileManager.default.createFile(atPath: file.path, contents: Data((Data(key).base64EncodedString() + "\n").utf8),
                                                     attributes: [.posixPermissions: 0o600])
        guard created else { throw ConfigError("cannot write the secret key file \(file.path)") }
        secretKey = key
    }
}
