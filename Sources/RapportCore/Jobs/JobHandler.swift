/// Runs the jobs of one kind. A handler may run a job more than once (delivery is at least once: a worker that dies
/// mid-job leaves it to be re-claimed when its lease expires), so its effects must be idempotent.
public protocol JobHandler: Sendable {
    var kind: String { get }
    /// Returns when the job is done; throws to have it retried (or `PermanentJobError` to fail it at once). It is
    /// cancelled when the worker shuts down and the job outlasts the shutdown bound, and should stop then.
    func run(_ job: Job) async throws
    /// The waits (ms) after the 1st, 2nd, … failed attempt when this kind documents its own schedule (webhooks do);
    /// nil for the worker's jittered exponential backoff.
    var retrySchedule: [Int64]? { get }
    /// Told when the queue gives the job up without running it again: it was claimed past its maximum attempts
    /// because every lease expired (it killed or hung its workers). What the job stood for (an import shown
    /// `running`) must end too; the default does nothing.
    func gaveUp(_ job: Job, reason: String) async throws
}

extension JobHandler {
    public var retrySchedule: [Int64]? { nil }
    public func gaveUp(_ job: Job, reason: String) async throws {}
}

/// Thrown by a handler when retrying cannot help (a payload it cannot read, a target that no longer exists): the job
/// becomes `failed` at once, with no further attempts.
public struct PermanentJobError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The trivial system job: does nothing. It lets operators check that workers are alive and claiming.
public struct NoopJobHandler: JobHandler {
    public static let kind = "noop"
    public var kind: String { Self.kind }
    public init() {}
    public func run(_ job: Job) async throws {}
}

/// Thrown by a handler that may not run the job yet (a send-rate limit is reached): the job goes back to the queue,
/// due at `until`, and the attempt does not count towards its maximum.
public struct JobDeferral: Error, Sendable, CustomStringConvertible {
    public let until: Int64
    public let reason: String
    public init(until: Int64, reason: String) {
        self.until = until
        self.reason = reason
    }
    public var description: String { reason }
}
