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

    /// The segment refresh is a system schedule (`SEGMENT_REFRESH_CRON`): its firing enqueues one fan-out job, which
    /// enqueues a refresh job per workspace with segments, including a workspace created after the schedule.
    @Test func theScheduledSegmentRefreshRunsAsJobsForEveryWorkspaceAndStopsOnGracefulShutdown() async throws {
        let clock = ManualClock(millis: Date().millisSince1970)
        try await TestApp.withRuntime(configure: {
            $0.segmentRefreshCron = "* * * * *"
            $0.schedulerTickMillis = 50
            $0.jobPollMillis = 50
        }, clock: clock.wall) { runtime in
            let services = runtime.services
            let store = services.core.store
            let fixture = try await Fixture.make(services)
            let admin = try await services.access.authenticate(apiKey: fixture.adminKey)
            _ = try await services.ingest.ingest(workspaceId: fixture.workspace.id, messages: try Self.identify("w-1", plan: "pro"))
            let segment = try await services.segments.create(admin, name: "Pros", description: nil,
                                                             rule: ["field": "trait.plan", "op": "eq", "value": "pro"])
            #expect(segment.memberCount == 1)
            _ = try await services.ingest.ingest(workspaceId: fixture.workspace.id, messages: try Self.identify("w-2", plan: "pro"))
            #expect(try await services.segments.get(admin, id: segment.id).memberCount == 1,
                    "membership changes only when the segment is refreshed")

            let group = runtime.serviceGroup() // no front door: what `rapport worker` runs
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                try await JobWorkerTests.eventually("the system schedule exists") {
                    try await store.read { try await $0.schedules.find(workspaceId: nil, key: SegmentRefreshJobs.scheduleKey) } != nil
                }
                // A workspace created after the schedule is refreshed too.
                let later = try await Fixture.make(services, name: "Globex", ownerEmail: "owner@globex.test")
                let laterAdmin = try await services.access.authenticate(apiKey: later.adminKey)
                let laterSegment = try await services.segments.create(laterAdmin, name: "Pros", description: nil,
                                                                      rule: ["field": "trait.plan", "op": "eq", "value": "pro"])
                _ = try await services.ingest.ingest(workspaceId: later.workspace.id, messages: try Self.identify("g-1", plan: "pro"))

                clock.advance(.seconds(61))
                try await JobWorkerTests.eventually("both workspaces' segments were refreshed") {
                    let first = try await services.segments.get(admin, id: segment.id).memberCount
                    let second = try await services.segments.get(laterAdmin, id: laterSegment.id).memberCount
                    return first == 2 && second == 1
                }
                let fanOuts = try await store.read {
                    try await $0.jobs.list(JobQuery(kind: SegmentRefreshJobs.fanOutKind), page: PageRequest())
                }.items
                #expect(fanOuts.count == 1)
                try await JobWorkerTests.eventually("the refresh jobs succeeded") {
                    let refreshes = try await store.read {
                        try await $0.jobs.list(JobQuery(kind: SegmentRefreshJobs.workspaceKind), page: PageRequest())
                    }.items
                    return Set(refreshes.compactMap(\.workspaceId)) == [fixture.workspace.id, later.workspace.id]
                        && refreshes.allSatisfy { $0.state == .succeeded }
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll() // a graceful shutdown ends the group without an error
            }
        }
    }

    @Test func theRefreshHandlersAreIdempotent() async throws {
        try await TestApp.withRuntime { runtime in
            let services = runtime.services
            let store = services.core.store
            let fixture = try await Fixture.make(services)
            let admin = try await services.access.authenticate(apiKey: fixture.adminKey)
            _ = try await services.ingest.ingest(workspaceId: fixture.workspace.id, messages: try Self.identify("w-1", plan: "pro"))
            let segment = try await services.segments.create(admin, name: "Pros", description: nil,
                                                             rule: ["field": "trait.plan", "op": "eq", "value": "pro"])
            _ = try await services.ingest.ingest(workspaceId: fixture.workspace.id, messages: try Self.identify("w-2", plan: "pro"))
            let now = services.core.clock.nowMillis
            let parent = Job(id: "fan-1", kind: SegmentRefreshJobs.fanOutKind, now: now)
            let fanOut = SegmentRefreshFanOutHandler(services.core)
            try await fanOut.run(parent)
            try await fanOut.run(parent) // delivered twice: the children's idempotency key holds them to one each
            let children = try await store.read {
                try await $0.jobs.list(JobQuery(kind: SegmentRefreshJobs.workspaceKind), page: PageRequest())
            }.items
            #expect(children.map(\.workspaceId) == [fixture.workspace.id])
            let refresh = SegmentRefreshHandler(segments: services.segments)
            try await refresh.run(children[0])
            try await refresh.run(children[0])
            let refreshed = try await services.segments.get(admin, id: segment.id)
            #expect(refreshed.memberCount == 2)
            await #expect(throws: PermanentJobError.self) {
                try await refresh.run(Job(id: "x", kind: SegmentRefreshJobs.workspaceKind, now: now))
            }
        }
    }
}
