/// What domain services need from the outside world, passed in once.
public struct CoreDependencies: Sendable {
    public var store: any DataStore
    public var clock: WallClock
    public var ids: IDGenerator
    public var passwords: any PasswordHasher
    public var digest: any SecretDigest

    public init(store: any DataStore, clock: WallClock, ids: IDGenerator, passwords: any PasswordHasher,
                digest: any SecretDigest) {
        self.store = store
        self.clock = clock
        self.ids = ids
        self.passwords = passwords
        self.digest = digest
    }
}
