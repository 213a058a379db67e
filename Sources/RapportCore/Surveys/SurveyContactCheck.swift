import Foundation

/// The contact rules an invitation meets when it is due, in one place for every survey and channel: consent for
/// `surveys` (through `ContactPolicy`), the survey's own limits (once per person, a recent widget dismissal, days
/// between), the workspace's recontact period, then quiet hours in the person's time zone (which only delay; the
/// widget passes no time zone: the person is on the site right then). The address checks (suppression
/// list, no address) belong to the channel and are made by the sender.
public struct SurveyContactCheck: Sendable {
    public enum Verdict: Sendable, Equatable {
        case send
        /// Inside the person's quiet hours: due again when they end.
        case wait(until: Int64)
        case suppress(SurveySuppression, String)
    }

    public var rules: SurveyContactRules
    public var settings: SurveySettings
    public var consent: ContactPolicy.Decision
    /// When the person was last sent an invitation of any survey, and of this one (other than the one checked).
    public var lastSentAny: Int64?
    public var lastSentThisSurvey: Int64?
    /// When the person last dismissed this survey's widget; it holds the survey back for `widget.dismiss_days`.
    public var lastDismissedThisSurvey: Int64?
    /// The person's time zone, when known (`timezone` trait).
    public var timeZone: TimeZone?

    public init(rules: SurveyContactRules, settings: SurveySettings, consent: ContactPolicy.Decision, lastSentAny: Int64?,
                lastSentThisSurvey: Int64?, lastDismissedThisSurvey: Int64? = nil, timeZone: TimeZone?) {
        self.rules = rules
        self.settings = settings
        self.consent = consent
        self.lastSentAny = lastSentAny
        self.lastSentThisSurvey = lastSentThisSurvey
        self.lastDismissedThisSurvey = lastDismissedThisSurvey
        self.timeZone = timeZone
    }

    static let dayMillis: Int64 = 86_400_000

    public func verdict(now: Int64) -> Verdict {
        if !consent.allowed { return .suppress(.noConsent, "No consent for surveys: \(consent.reason).") }
        if settings.oncePerPerson, let last = lastSentThisSurvey {
            return .suppress(.oncePerPerson, "This survey asks each person once; they were asked on \(day(last)).")
        }
        let dismissDays = settings.widget.dismissDays
        if let last = lastDismissedThisSurvey, now - last < Int64(dismissDays) * Self.dayMillis {
            return .suppress(.recentlyDismissed,
                             "They dismissed this survey on \(day(last)); it waits \(Plural.count(dismissDays, "day")) after a dismissal.")
        }
        if let days = settings.minDaysBetween, let last = lastSentThisSurvey, now - last < Int64(days) * Self.dayMillis {
            return .suppress(.surveyFrequency, "This survey asks one person at most \(Self.every(days)); they were asked on \(day(last)).")
        }
        if rules.recontactDays > 0, let last = lastSentAny, now - last < Int64(rules.recontactDays) * Self.dayMillis {
            return .suppress(.recontactPeriod,
                             "The workspace asks one person at most \(Self.every(rules.recontactDays)); they were asked on \(day(last)).")
        }
        if let end = quietHoursEnd(now: now) { return .wait(until: end) }
        return .send
    }

    /// When the quiet hours `now` falls in end, or nil when it falls in none (or the time zone is unknown).
    public func quietHoursEnd(now: Int64) -> Int64? {
        guard let zone = timeZone, rules.quietStartHour != rules.quietEndHour else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let date = Date(timeIntervalSince1970: Double(now) / 1_000)
        let hour = calendar.component(.hour, from: date)
        let (start, end) = (rules.quietStartHour, rules.quietEndHour)
        let quiet = start < end ? (hour >= start && hour < end) : (hour >= start || hour < end)
        guard quiet, let next = calendar.nextDate(after: date, matching: DateComponents(hour: end, minute: 0, second: 0),
                                                  matchingPolicy: .nextTime) else { return nil }
        return Int64((next.timeIntervalSince1970 * 1_000).rounded())
    }

    /// The person's time zone from their `timezone` (or `time_zone`) trait, when it names one Foundation knows.
    public static func timeZone(of customer: Customer) -> TimeZone? {
        guard let name = (customer.traits["timezone"] ?? customer.traits["time_zone"])?.stringValue else { return nil }
        return TimeZone(identifier: name)
    }

    /// The date of `millis` in the person's time zone ("2026-05-31"; UTC when it is unknown).
    func day(_ millis: Int64) -> String {
        let zone = timeZone ?? TimeZone(identifier: "UTC")!
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(millis) / 1_000))
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    /// "every day", "every 30 days".
    static func every(_ days: Int) -> String { days == 1 ? "every day" : "every \(days) days" }
}
