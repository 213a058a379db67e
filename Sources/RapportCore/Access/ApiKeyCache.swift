import Synchronization

/// Recently authenticated API keys with their workspace, by secret hash, for a few seconds: the tracking API
/// authenticates every request (a browser sends one event a request), and two reads a request for the same key
/// cost more than the event's own work. Only live keys are kept (an unknown secret is looked up every time).
///
/// A revoke in this process forgets the key at once; another process (a second `serve` on the same PostgreSQL)
/// stops accepting it within `lifetime`.
public final class ApiKeyCache: Sendable {
    private struct Entry {
        var key: ApiKey
        var workspace: Workspace
        var expires: ContinuousClock.Instant
    }

    /// How long an entry is trusted.
    public let lifetime: Duration
    /// Most entries kept; when full, the cache starts again empty (keys are few; this only bounds memory).
    public let capacity: Int
    private let entries = Mutex<[String: Entry]>([:])

    public init(lifetime: Duration = .seconds(5), capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// The live key with this secret hash and its workspace, when seen within `lifetime`.
    func find(secretHash: String) -> (ApiKey, Workspace)? {
        let now = ContinuousClock.now
        return entries.withLock { entries in
            guard let entry = entries[secretHash] else { return nil }
            guard entry.expires > now else {
                entries[secretHash] = nil
                return nil
            }
            return (entry.key, entry.workspace)
        }
    }

    func remember(_ key: ApiKey, _ workspace: Workspace) {
        guard lifetime > .zero, !key.isRevoked else { return }
        let entry = Entry(key: key, workspace: workspace, expires: ContinuousClock.now + lifetime)
        entries.withLock { entries in
            if entries.count >= capacity, entries[key.secretHash] == nil { entries.removeAll(keepingCapacity: true) }
            entries[key.secretHash] = entry
        }
    }

    /// Records that the key was just marked used, so that the cached copy does not mark it again.
    func markUsed(secretHash: String, at millis: Int64) {
        entries.withLock { entries in entries[secretHash]?.key.lastUsedAt = millis }
    }

    /// Forgets a key (revoked) at once.
    func forget(secretHash: String) {
        _ = entries.withLock { $0.removeValue(forKey: secretHash) }
    }

    /// Forgets every key of a workspace (its name or settings changed).
    func forget(workspaceId: String) {
        entries.withLock { entries in entries = entries.filter { $0.value.key.workspaceId != workspaceId } }
    }
}
