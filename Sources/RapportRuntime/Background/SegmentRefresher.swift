import Logging
import RapportCore
import ServiceLifecycle

/// Recomputes every segment's membership on a schedule, so time-based rules stay current. One of the runtime's
/// background services: runs beside the HTTP server (`serve`) or alone (`worker`) and stops on graceful shutdown.
public struct SegmentRefresher: Service {
    let segments: SegmentService
    let interval: Duration
    let logger: Logger

    public init(segments: SegmentService, interval: Duration, logger: Logger) {
        self.segments = segments
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: interval)
                    let count = try await segments.refreshAll()
                    logger.debug("refreshed \(count) segments", metadata: ["component": "segments"])
                } catch is CancellationError {
                    return
                } catch {
                    logger.error("segment refresh failed: \(error)", metadata: ["component": "segments"])
                }
            }
        }
    }
}
