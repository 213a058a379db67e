import Foundation
import RapportCore
import Synchronization

/// A wall clock a test sets and moves by hand.
final class ManualClock: Sendable {
    private let millis: Mutex<Int64>

    init(_ iso: String) {
        millis = Mutex(ISO8601DateFormatter().date(from: iso)!.millisSince1970)
    }

    init(millis: Int64) {
        self.millis = Mutex(millis)
    }

    var nowMillis: Int64 { millis.withLock { $0 } }
    var wall: WallClock { WallClock { Date(millisSince1970: self.nowMillis) } }

    func set(_ value: Int64) { millis.withLock { $0 = value } }
    func advance(_ duration: Duration) {
        let components = duration.components
        millis.withLock { $0 += components.seconds * 1_000 + components.attoseconds / 1_000_000_000_000_000 }
    }
}

/// A data store that counts the transactions run through it: the test seam for "an idle process writes nothing".
final class CountingStore: DataStore {
    let base: any DataStore
    private let counts = Mutex((reads: 0, writes: 0))

    init(_ base: any DataStore) { self.base = base }

    var writes: Int { counts.withLock { $0.writes } }
    var reads: Int { counts.withLock { $0.reads } }

    func read<T: Sendable>(_ body: @escaping @Sendable (any Repositories) async throws -> T) async throws -> T {
        counts.withLock { $0.reads += 1 }
        return try await base.read(body)
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (any Repositories) async throws -> T) async throws -> T {
        counts.withLock { $0.writes += 1 }
        return try await base.write(body)
    }
}

/// A counting semaphore for async tests: `enter` waits while `limit` holders are inside.
actor TestGate {
    private let limit: Int
    private var inside = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) { self.limit = limit }

    func enter() async {
        if inside < limit {
            inside += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    /// Hands the place to the next waiter, if any, else frees it.
    func leave() {
        if waiting.isEmpty {
            inside -= 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}

/// A data store whose writes fail when `fails` says so for their number (1 for the first write through it): the test
/// seam for a database that goes away under a job. A failing write runs its body and then throws inside the
/// transaction, so nothing of it commits.
final class FailingStore: DataStore {
    struct Failure: Error {}
    let base: any DataStore
    let fails: @Sendable (Int) -> Bool
    private let writes = Mutex(0)

    init(_ base: any DataStore, fails: @escaping @Sendable (Int) -> Bool) {
        self.base = base
        self.fails = fails
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (any Repositories) async throws -> T) async throws -> T {
        try await base.read(body)
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (any Repositories) async throws -> T) async throws -> T {
        let number = writes.withLock { $0 += 1; return $0 }
        let fail = fails(number)
        return try await base.write { repos in
            let result = try await body(repos)
            if fail { throw Failure() }
            return result
        }
    }
}

extension CoreDependencies {
    /// The same dependencies over another store.
    func with(_ store: any DataStore) -> CoreDependencies {
        var deps = self
        deps.store = store
        return deps
    }
}
