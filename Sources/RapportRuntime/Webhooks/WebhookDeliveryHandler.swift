import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import RapportCore

/// Runs `webhook.deliver` jobs: POSTs one delivery's body to its endpoint, signed by the Standard Webhooks headers
/// (`webhook-id`, `webhook-timestamp`, `webhook-signature`), and records the answer in the delivery log. A 2xx answer
/// is success; anything else, a timeout or a refused connection is retried on `WebhookRetrySchedule`, and after the
/// last attempt the delivery is `failed`. Redirects are not followed (a receiver must answer at its URL).
///
/// Idempotent as the job queue requires: a delivery already `succeeded` is not sent again, and every attempt of a
/// delivery carries the same `webhook-id`, which receivers use to drop duplicates (at-least-once delivery).
public struct WebhookDeliveryHandler: JobHandler {
    public var kind: String { WebhookEvents.jobKind }
    public var retrySchedule: [Int64]? { WebhookRetrySchedule.delays }

    let store: any DataStore
    let clock: WallClock
    let signer: any WebhookSigner
    let urlGuard: any OutboundURLGuard
    let health: WebhookHealth
    let timeout: TimeAmount
    let logger: Logger

    public init(deps: CoreDependencies, signer: any WebhookSigner = HMACWebhookSigner(), urlGuard: any OutboundURLGuard,
                health: WebhookHealth, timeoutSeconds: Int, logger: Logger) {
        self.store = deps.store
        self.clock = deps.clock
        self.health = health
        self.signer = signer
        self.urlGuard = urlGuard
        self.timeout = .seconds(Int64(timeoutSeconds))
        self.logger = logger
    }

    /// The largest part of an answer kept in the delivery log.
    static let excerptLimit = 1_000

    public func run(_ job: Job) async throws {
        guard let workspaceId = job.workspaceId,
              let deliveryId = JSONValue.parse(job.payload)?["delivery_id"]?.stringValue else {
            throw PermanentJobError("a webhook job needs a workspace and a delivery_id")
        }
        let found = try await store.read { repos -> (WebhookDelivery, WebhookEndpoint?)? in
            guard let delivery = try await repos.webhooks.delivery(workspaceId: workspaceId, id: deliveryId) else { return nil }
            return (delivery, try await repos.webhooks.find(workspaceId: workspaceId, id: delivery.endpointId))
        }
        // Deleted with its endpoint, or already delivered by an earlier run of this job: nothing to do.
        guard let (delivery, endpointOrNil) = found, delivery.status != .succeeded else { return }
        guard let endpoint = endpointOrNil, endpoint.enabled || delivery.eventType == .ping else {
            var failed = delivery
            failed.status = .failed
            failed.responseExcerpt = "The endpoint was deleted or disabled before the delivery was sent."
            let recorded = failed
            try await store.write { try await $0.webhooks.update(recorded) }
            return
        }
        var attempt = delivery
        attempt.attempts += 1
        attempt.lastAttemptAt = clock.nowMillis
        let started = ContinuousClock.now
        var failure: String?
        do {
            guard let url = URL(string: endpoint.url) else { throw PermanentJobError("the endpoint's url is not a URL") }
            try await urlGuard.check(url)
            let response = try await send(delivery, to: endpoint)
            attempt.responseStatus = Int(response.status.code)
            attempt.responseExcerpt = response.excerpt
            if (200...299).contains(response.status.code) {
                attempt.status = .succeeded
            } else {
                failure = "the endpoint answered \(response.status.code)"
            }
        } catch let error as RapportError {
            attempt.responseStatus = nil
            attempt.responseExcerpt = error.message
            failure = error.message
        } catch {
            attempt.responseStatus = nil
            attempt.responseExcerpt = String(String(describing: error).prefix(Self.excerptLimit))
            failure = "the request failed: \(error)"
        }
        let elapsed = (ContinuousClock.now - started).components
        attempt.durationMillis = Int(elapsed.seconds * 1000 + elapsed.attoseconds / 1_000_000_000_000_000)
        if failure != nil, job.attempts >= job.maxAttempts { attempt.status = .failed }
        let recorded = attempt, health = self.health, reason = failure
        try await store.write { repos in
            try await repos.webhooks.update(recorded)
            try await health.record(in: repos, endpoint: endpoint, attempt: recorded, failure: reason)
        }
        if let failure {
            logger.info("webhook delivery \(delivery.id) to \(endpoint.url) failed (attempt \(job.attempts) of \(job.maxAttempts)): \(failure)",
                        metadata: ["component": "webhooks", "workspace": .string(workspaceId)])
            throw WebhookDeliveryFailed(reason: failure)
        }
    }

    struct Answer {
        let status: HTTPResponseStatus
        let excerpt: String
    }

    private func send(_ delivery: WebhookDelivery, to endpoint: WebhookEndpoint) async throws -> Answer {
        let timestamp = clock.nowMillis / 1000
        var request = HTTPClientRequest(url: endpoint.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Rapport-Webhooks/1")
        request.headers.add(name: "webhook-id", value: delivery.messageId)
        request.headers.add(name: "webhook-timestamp", value: String(timestamp))
        // Signed with the current secret and, for a while after a rotation, the previous one too (space-separated, as
        // Standard Webhooks allows), so a receiver still holding the old secret accepts the delivery.
        request.headers.add(name: "webhook-signature", value: try endpoint.signingSecrets(at: clock.nowMillis).map {
            signer.signature(messageId: delivery.messageId, timestamp: timestamp, body: delivery.payload, secret: $0)
        }.joined(separator: " "))
        request.body = .bytes(ByteBuffer(string: delivery.payload))
        let response = try await WebhookHTTP.client.execute(request, timeout: timeout)
        // Only the start of the answer is kept; the rest is not waited for.
        var body = try await response.body.collect(upTo: 64 * 1024)
        let text = body.readString(length: min(body.readableBytes, Self.excerptLimit)) ?? ""
        return Answer(status: response.status, excerpt: text)
    }
}

struct WebhookDeliveryFailed: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}

/// One HTTP client for every webhook of the process, never shut down (it lives as long as the process). Redirects are
/// refused: following one could lead a request into a private network the URL check allowed.
enum WebhookHTTP {
    static let client = HTTPClient(
        eventLoopGroupProvider: .singleton,
        configuration: HTTPClient.Configuration(redirectConfiguration: .disallow,
                                                timeout: .init(connect: .seconds(10), read: .seconds(30))))
}
