import Foundation

/// A tenant: every customer, survey and metric belongs to exactly one workspace.
public struct Workspace: Sendable, Equatable {
    public var id: String
    public var name: String
    public var createdAt: Int64
    /// The IANA time zone its schedules run in (reminders at 9:00 are 9:00 here); `UTC` until changed.
    public var timeZone: String
    /// The colour of the hosted survey page and of invitation emails; nil: Rapport's own look.
    public var brandColor: BrandColor?

    public init(id: String, name: String, createdAt: Int64, timeZone: String = Workspace.defaultTimeZone,
                brandColor: BrandColor? = nil) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
        self.timeZone = timeZone
        self.brandColor = brandColor
    }

    public static let defaultTimeZone = "UTC"

    /// An IANA time zone identifier Foundation knows (`Europe/Berlin`), as given; `field` names it in the error.
    public static func validTimeZone(_ raw: String, field: String = "time_zone") throws(RapportError) -> String {
        let identifier = raw.trimmed
        guard !identifier.isEmpty, identifier.count <= 64, TimeZone(identifier: identifier) != nil else {
            throw RapportError.invalid(field, "\(field) must be an IANA time zone such as Europe/Berlin (got \(raw)).")
        }
        return identifier
    }

    /// The key that makes names unique regardless of case and surrounding space.
    public static func nameKey(_ name: String) -> String {
        name.trimmed.lowercased()
    }
}
