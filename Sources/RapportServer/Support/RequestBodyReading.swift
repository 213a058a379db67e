import Hummingbird
import NIOCore
import RapportCore
import Synchronization

/// Reading a request body: up to a limit (413 naming that limit beyond it) and within a time limit (408 when the
/// client stops sending before the body is complete, e.g. a `Content-Length` larger than what it sends).
extension Request {
    /// The whole body, up to the configured limit.
    func limitedBody(_ context: AppRequestContext) async throws -> ByteBuffer {
        try await collectBody(limit: context.maxBodyBytes, context: context)
    }

    /// The whole body, up to `limit` bytes.
    func collectBody(limit: Int, context: AppRequestContext) async throws -> ByteBuffer {
        try await withBodyChunks(context) { chunks in
            var buffer = ByteBuffer()
            for try await chunk in chunks {
                guard buffer.readableBytes + chunk.readableBytes <= limit else { throw RapportError.payloadTooLarge(limit: limit) }
                var chunk = chunk
                buffer.writeBuffer(&chunk)
            }
            return buffer
        }
    }

    /// Runs `operation` on the body's chunks as they arrive. When the operation waits for the next chunk longer than
    /// the configured body timeout, it is cancelled and this throws `408 request_timeout`: a stalled or cut upload
    /// ends with an answer instead of holding its request forever. Time the operation spends on its own work (say,
    /// writing a batch of imported rows) does not count.
    func withBodyChunks<T: Sendable>(_ context: AppRequestContext,
                                     _ operation: @escaping @Sendable (BodyChunks) async throws -> T) async throws -> T {
        let chunks = BodyChunks(body: body)
        let timeout = context.bodyTimeout
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await operation(chunks) }
            group.addTask {
                try await chunks.waits.watch(timeout: timeout)
                return nil
            }
            defer { group.cancelAll() }
            // The watchdog only ever ends by throwing, so the first value is the operation's.
            guard let value = try await group.next(), let value else { throw CancellationError() }
            return value
        }
    }
}

/// A request body's chunks, recording when a read starts waiting for the client so that a watchdog can time it.
struct BodyChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let body: RequestBody
    let waits = BodyWaits()

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: RequestBody.AsyncIterator
        let waits: BodyWaits

        mutating func next() async throws -> ByteBuffer? {
            waits.begin()
            defer { waits.end() }
            let chunk = try await base.next()
            // A read cut short by the watchdog's cancellation must not look like the end of the body.
            if chunk == nil { try Task.checkCancellation() }
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: body.makeAsyncIterator(), waits: waits) }
}

/// When the current read of a body started waiting (nanoseconds since `start`, 0 when none waits).
final class BodyWaits: Sendable {
    private let start = ContinuousClock.now
    private let waitingSince = Atomic<Int64>(0)

    private var elapsed: Int64 {
        let duration = start.duration(to: .now).components
        return max(1, duration.seconds * 1_000_000_000 + duration.attoseconds / 1_000_000_000)
    }

    func begin() { waitingSince.store(elapsed, ordering: .relaxed) }
    func end() { waitingSince.store(0, ordering: .relaxed) }

    /// Returns never; throws `request_timeout` once a read has waited `timeout`, or `CancellationError`.
    func watch(timeout: Duration) async throws {
        let limit = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        while true {
            let since = waitingSince.load(ordering: .relaxed)
            let now = elapsed
            if since != 0, now - since >= limit { throw RapportError.requestTimeout(timeout) }
            try await Task.sleep(for: .nanoseconds(since == 0 ? limit : since + limit - now))
        }
    }
}

extension RapportError {
    static func payloadTooLarge(limit: Int) -> RapportError {
        RapportError(.payloadTooLarge, code: "payload_too_large",
                     message: "The request body is larger than the limit of \(limit) bytes.",
                     details: ["limit_bytes": String(limit)])
    }

    static func requestTimeout(_ timeout: Duration) -> RapportError {
        let seconds = timeout.components.seconds
        return RapportError(.timeout, code: "request_timeout",
                            message: "The request body stopped arriving: nothing came for \(seconds) seconds.",
                            details: ["timeout_seconds": String(seconds)])
    }
}
