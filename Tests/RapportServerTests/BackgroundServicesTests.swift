import Foundation
import RapportCore
import RapportRuntime
import RapportStore
import ServiceLifecycle
import Testing

/// The runtime's background services, run without HTTP as `rapport worker` runs them.
@Suite("Background services")
struct BackgroundServicesTests {
    static func identify(_ userId: String, plan: String) throws -> [(index: Int, message: TrackingMessage)] {
        let json: JSONValue = ["type": "identify", "userId": .string(userId), "traits": ["plan": .string(plan)]]
        let message = try TrackingMessage.parse(json, endpointType: nil, batchSentAt: nil, receivedAt: Date().millisSince1970,
                                                makeId: { UUID().uuidString.lowercased() })
        return [(0, message)]
    }

    @Test func theWorkersServiceGroupRefreshesSegmentsAndStopsOnGracefulShutdown() async throws {
        try await TestApp.withRuntime(configure: { $0.segmentRefreshSeconds = 1 }) { runtime in
            let services = runtime.services
            let fixture = try await Fixture.make(services)
            let admin = try await services.access.authenticate(apiKey: fixture.adminKey)
            let workspaceId = fixture.workspace.id
            _ = try await services.ingest.ingest(workspaceId: workspaceId, messages: try Self.identify("w-1", plan: "pro"))
            let segment = try await services.segments.create(admin, name: "Pros", description: nil,
                                                             rule: ["field": "trait.plan", "op": "eq", "value": "pro"])
            #expect(segment.memberCount == 1)
            _ = try await services.ingest.ingest(workspaceId: workspaceId, messages: try Self.identify("w-2", plan: "pro"))
            #expect(try await services.segments.get(admin, id: segment.id).memberCount == 1,
                    "membership changes only when the segment is refreshed")

            let group = runtime.serviceGroup() // no front door: what `rapport worker` runs
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let deadline = ContinuousClock.now + .seconds(20)
                var members = 1
                while members != 2, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(100))
                    members = try await services.segments.get(admin, id: segment.id).memberCount
                }
                #expect(members == 2, "the background segment refresh did not run")
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll() // a graceful shutdown ends the group without an error
            }
        }
    }
}
