import Logging
import RapportCore
import ServiceLifecycle

/// Recomputes every segment's membership on a schedule, so time-based rules stay current. Runs beside the HTTP
/// server in the service group and stops on graceful shutdown.
public struct SegmentRefresher: Service {
    let segments: SegmentService
    let interval: Duration
    let logger: Logger

    public init(services: AppServices, logger: Logger) {
        self.segments = services.segments
        self.interval = .seconds(services.config.segmentRefreshSeconds)
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
