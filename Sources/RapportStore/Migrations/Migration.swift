/// One numbered, append-only schema change. Never edit one that has shipped; add the next number.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    /// Statements in order; `kind` lets a migration differ where the dialects must.
    public let statements: @Sendable (DatabaseKind) -> [String]

    public init(version: Int, name: String, statements: @escaping @Sendable (DatabaseKind) -> [String]) {
        self.version = version
        self.name = name
        self.statements = statements
    }

    /// `0001_platform`: how it is printed and recorded.
    public var label: String {
        let number = String(version)
        return String(repeating: "0", count: max(0, 4 - number.count)) + number + "_" + name
    }
}

/// Every migration Rapport knows, in order.
public enum Migrations {
    public static let all: [Migration] = [
        platform0001,
        customers0002,
        imports0003,
        segments0004,
        searchKeys0005,
        plannedLookups0006,
        searchPrefixes0007,
        moneyMinorUnits0008,
        jobs0009,
        schedules0010,
        webhooks0011,
        email0012,
        automation0013,
        workspaceSMTP0014,
        importChunks0015,
        runtimeUpkeep0016,
        surveys0017,
        surveyResponses0018,
        jobsClaimOrder0019,
        surveyInvitations0020,
        followUps0021,
        surveyResponseImports0022,
        agentTeams0023,
        surveyWidget0024,
        surveyLinks0025,
        cxGoals0030,
        metricIndexes0031,
        metricAttributeColumns0032,
        metricRollups0033,
        metricSegmentDays0034,
        webhookSecretRotation0035,
        accountMembersByCustomer0036,
    ]

    public static var latestVersion: Int { all.map(\.version).max() ?? 0 }
}
