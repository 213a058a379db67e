/// What domain services need from the outside world, passed in once.
public struct CoreDependencies: Sendable {
    public var store: any DataStore
    public var clock: WallClock
    public var ids: IDGenerator
    public var passwords: any PasswordHasher
    public var digest: any SecretDigest
    /// Live API keys recently authenticated (shared by every service of the process, so a revoke forgets at once).
    public var apiKeys: ApiKeyCache

    public init(store: any DataStore, clock: WallClock, ids: IDGenerator, passwords: any PasswordHasher,
                digest: any SecretDigest, apiKeys: ApiKeyCache = ApiKeyCache()) {
        self.store = store
        self.clock = clock
        self.ids = ids
        self.passwords = passwords
        self.digest = digest
        self.apiKeys = apiKeys
    }
}
