import Synchronization

/// Group commit for ingest: batches that arrive for a workspace while its previous write is running wait, and are
/// then stored together in one transaction (one identity resolution pass, one profile upsert, one timeline insert,
/// one commit). Every caller still gets its answer only after its messages are committed. Under load this trades
/// a few statements and commits per batch for one per group; an idle server writes each batch at once.
///
/// A group whose transaction fails for a reason other than a message's own error (which is reported per message)
/// is retried one request at a time, so one request's failure never fails the others it was grouped with.
final class IngestGroupCommit: Sendable {
    typealias Messages = [(index: Int, message: TrackingMessage)]
    typealias Writer = @Sendable (_ workspaceId: String, _ messages: Messages) async throws -> [IngestOutcome]

    private struct Waiter: @unchecked Sendable {
        let messages: Messages
        let continuation: CheckedContinuation<[IngestOutcome], any Error>
    }

    private struct Lane {
        var running = false
        var waiting: [Waiter] = []
    }

    /// The most messages stored in one transaction.
    let maxMessages: Int
    private let write: Writer
    private let lanes = Mutex<[String: Lane]>([:])

    init(maxMessages: Int = 2_000, write: @escaping Writer) {
        self.maxMessages = maxMessages
        self.write = write
    }

    /// Stores `messages`; returns when they are committed (with the outcomes in their order).
    func submit(workspaceId: String, messages: Messages) async throws -> [IngestOutcome] {
        try await withCheckedThrowingContinuation { continuation in
            let lead = lanes.withLock { lanes in
                lanes[workspaceId, default: Lane()].waiting.append(Waiter(messages: messages, continuation: continuation))
                if lanes[workspaceId]!.running { return false }
                lanes[workspaceId]!.running = true
                return true
            }
            if lead { Task { await self.drain(workspaceId) } }
        }
    }

    /// Writes groups for `workspaceId` until nobody is waiting.
    private func drain(_ workspaceId: String) async {
        while true {
            let group: [Waiter] = lanes.withLock { lanes in
                guard var lane = lanes[workspaceId], !lane.waiting.isEmpty else {
                    lanes[workspaceId] = nil
                    return []
                }
                var taken = 0
                var count = 0
                while taken < lane.waiting.count, taken == 0 || count + lane.waiting[taken].messages.count <= maxMessages {
                    count += lane.waiting[taken].messages.count
                    taken += 1
                }
                let group = Array(lane.waiting.prefix(taken))
                lane.waiting.removeFirst(taken)
                lanes[workspaceId] = lane
                return group
            }
            if group.isEmpty { return }
            await commit(group, workspaceId: workspaceId)
        }
    }

    private func commit(_ group: [Waiter], workspaceId: String) async {
        if group.count == 1 {
            let waiter = group[0]
            do {
                waiter.continuation.resume(returning: try await write(workspaceId, waiter.messages))
            } catch {
                waiter.continuation.resume(throwing: error)
            }
            return
        }
        // One list for the group; each message's index becomes its position in it, mapped back afterwards.
        var combined: Messages = []
        var origins: [(waiter: Int, index: Int)] = []
        for (w, waiter) in group.enumerated() {
            for (index, message) in waiter.messages {
                origins.append((w, index))
                combined.append((combined.count, message))
            }
        }
        do {
            let outcomes = try await write(workspaceId, combined)
            var answers = Array(repeating: [IngestOutcome](), count: group.count)
            for var outcome in outcomes {
                let origin = origins[outcome.index]
                outcome.index = origin.index
                answers[origin.waiter].append(outcome)
            }
            for (w, waiter) in group.enumerated() { waiter.continuation.resume(returning: answers[w]) }
        } catch {
            for waiter in group { await commit([waiter], workspaceId: workspaceId) }
        }
    }
}
