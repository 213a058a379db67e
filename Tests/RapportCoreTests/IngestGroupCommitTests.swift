@testable import RapportCore
import Synchronization
import Testing

/// The coordination of group commit: who waits, what is written together, who gets which answer. The writes
/// themselves run against both real databases in `TrackingTests`.
@Suite("Ingest group commit")
struct IngestGroupCommitTests {
    static func messages(_ ids: [String]) -> IngestGroupCommit.Messages {
        ids.enumerated().map { index, id in
            (index, TrackingMessage(type: .track, messageId: id, userId: "u", anonymousId: nil, name: "Clicked",
                                    properties: [:], traits: [:], context: [:], groupId: nil, previousId: nil,
                                    timestamp: 0, receivedAt: 0))
        }
    }

    /// Writes what it is given (each message stored unless its id starts with "bad"), records each call, fails the
    /// whole call when a message id starts with "poison", and holds the first call until `release` is opened.
    final class Recorder: Sendable {
        let calls = Mutex<[[String]]>([])
        let gate = Mutex<CheckedContinuation<Void, Never>?>(nil)
        let opened = Mutex(false)

        func write(_ messages: IngestGroupCommit.Messages) async throws -> [IngestOutcome] {
            let first = calls.withLock { $0.append(messages.map(\.message.messageId)); return $0.count == 1 }
            if first {
                await withCheckedContinuation { continuation in
                    let wait = opened.withLock { open in open ? false : true }
                    if wait { gate.withLock { $0 = continuation } } else { continuation.resume() }
                }
            }
            if messages.contains(where: { $0.message.messageId.hasPrefix("poison") }) { throw TestFailure() }
            return messages.map { index, message in
                message.messageId.hasPrefix("bad")
                    ? IngestOutcome(index: index, messageId: message.messageId, status: .rejected,
                                    error: RapportError.invalid("event", "bad"))
                    : IngestOutcome(index: index, messageId: message.messageId, status: .stored, customerId: "c")
            }
        }

        func release() {
            opened.withLock { $0 = true }
            gate.withLock { $0?.resume(); $0 = nil }
        }
    }

    struct TestFailure: Error {}

    @Test func batchesArrivingDuringAWriteAreCommittedTogetherAndEachGetsItsOwnAnswer() async throws {
        let recorder = Recorder()
        let queue = IngestGroupCommit { _, messages in try await recorder.write(messages) }
        async let first = queue.submit(workspaceId: "w", messages: Self.messages(["a1", "a2"]))
        // Wait until the first write runs, then queue three more behind it.
        while recorder.calls.withLock({ $0.isEmpty }) { await Task.yield() }
        async let second = queue.submit(workspaceId: "w", messages: Self.messages(["b1", "bad-b2", "b3"]))
        async let third = queue.submit(workspaceId: "w", messages: Self.messages(["c1"]))
        async let fourth = queue.submit(workspaceId: "w", messages: Self.messages(["bad-d1", "d2"]))
        try await Task.sleep(for: .milliseconds(50))
        recorder.release()
        let answers = try await [first, second, third, fourth]
        let calls = recorder.calls.withLock { $0 }
        #expect(calls.count == 2)
        #expect(calls.first == ["a1", "a2"])
        #expect(Set(calls.last ?? []) == ["b1", "bad-b2", "b3", "c1", "bad-d1", "d2"])
        // Every caller sees its own messages, with its own indexes.
        #expect(answers[0].map(\.messageId) == ["a1", "a2"])
        #expect(answers[1].map(\.index) == [0, 1, 2])
        #expect(answers[1].map(\.status) == [.stored, .rejected, .stored])
        #expect(answers[2].map(\.messageId) == ["c1"])
        #expect(answers[3].map(\.index) == [0, 1])
        #expect(answers[3].map(\.status) == [.rejected, .stored])
    }

    @Test func aFailingRequestDoesNotFailTheOthersOfItsGroup() async throws {
        let recorder = Recorder()
        let queue = IngestGroupCommit { _, messages in try await recorder.write(messages) }
        async let first = queue.submit(workspaceId: "w", messages: Self.messages(["a1"]))
        while recorder.calls.withLock({ $0.isEmpty }) { await Task.yield() }
        async let good = queue.submit(workspaceId: "w", messages: Self.messages(["g1", "g2"]))
        let poisoned = Task { try await queue.submit(workspaceId: "w", messages: Self.messages(["poison-1"])) }
        try await Task.sleep(for: .milliseconds(50))
        recorder.release()
        #expect(try await first.map(\.status) == [.stored])
        #expect(try await good.map(\.status) == [.stored, .stored])
        await #expect(throws: TestFailure.self) { try await poisoned.value }
    }

    @Test func workspacesDoNotShareAGroupAndLargeGroupsAreSplit() async throws {
        let recorder = Recorder()
        let queue = IngestGroupCommit(maxMessages: 3) { workspaceId, messages in
            try await recorder.write(messages.map { ($0.index, { var m = $0.message; m.messageId = workspaceId + ":" + m.messageId; return m }($0)) })
        }
        async let first = queue.submit(workspaceId: "w", messages: Self.messages(["a1"]))
        while recorder.calls.withLock({ $0.isEmpty }) { await Task.yield() }
        async let b = queue.submit(workspaceId: "w", messages: Self.messages(["b1", "b2"]))
        async let c = queue.submit(workspaceId: "w", messages: Self.messages(["c1", "c2"]))
        async let other = queue.submit(workspaceId: "x", messages: Self.messages(["o1"]))
        try await Task.sleep(for: .milliseconds(50))
        recorder.release()
        _ = try await [first, b, c, other]
        let calls = recorder.calls.withLock { $0 }
        // The other workspace was written on its own, without waiting for "w"; "b" and "c" (4 messages) exceed the
        // group limit of 3 and go in two transactions.
        #expect(calls.contains(["x:o1"]))
        #expect(calls.filter { $0.first?.hasPrefix("w:") == true }.count == 3)
        #expect(!calls.contains { $0.count > 3 })
    }
}
