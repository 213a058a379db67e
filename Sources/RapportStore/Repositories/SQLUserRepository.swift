import RapportCore
import SQLKit

struct SQLUserRepository: UserRepository {
    let db: any SQLDatabase

    static let columns = "u.id, u.email, u.name, u.password_hash, u.created_at, u.last_login_at"

    func insert(_ user: User) async throws {
        try await db.raw("""
            INSERT INTO users (id, email, name, password_hash, created_at, last_login_at)
            VALUES (\(bind: user.id), \(bind: user.email), \(bind: user.name), \(bind: user.passwordHash),
                    \(bind: user.createdAt), \(bind: user.lastLoginAt))
            """).run()
    }

    func find(id: String) async throws -> User? {
        try await db.raw("SELECT \(unsafeRaw: Self.columns) FROM users u WHERE u.id = \(bind: id)").first().map(Self.user)
    }

    func find(email: String) async throws -> User? {
        try await db.raw("SELECT \(unsafeRaw: Self.columns) FROM users u WHERE u.email = \(bind: email.lowercased())")
            .first().map(Self.user)
    }

    func count() async throws -> Int {
        try await db.raw("SELECT COUNT(*) AS n FROM users").first()?.int("n") ?? 0
    }

    func recordLogin(userId: String, at: Int64) async throws {
        try await db.raw("UPDATE users SET last_login_at = \(bind: at) WHERE id = \(bind: userId)").run()
    }

    func rename(userId: String, to name: String?) async throws {
        try await db.raw("UPDATE users SET name = \(bind: name) WHERE id = \(bind: userId)").run()
    }

    static func user(_ row: any SQLRow) throws -> User {
        User(id: try row.string("id"), email: try row.string("email"), name: try row.optionalString("name"),
             passwordHash: try row.string("password_hash"), createdAt: try row.int64("created_at"),
             lastLoginAt: try row.optionalInt64("last_login_at"))
    }
}
