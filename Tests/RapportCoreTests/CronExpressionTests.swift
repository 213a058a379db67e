import Foundation
import RapportCore
import Testing

/// Cron semantics as crontab(5) (Vixie cron / cronie) describes them, and the documented daylight-saving rule: a
/// wall-clock time skipped by a spring-forward change fires at the first instant after the gap; one repeated by a
/// fall-back change fires once, at its first occurrence. 2026 changes: Europe/Berlin 29 March and 25 October at
/// 01:00 UTC; America/New_York 8 March at 07:00 UTC and 1 November at 06:00 UTC.
@Suite("Cron expressions")
struct CronExpressionTests {
    static let utc = TimeZone(identifier: "UTC")!
    static let berlin = TimeZone(identifier: "Europe/Berlin")!
    static let newYork = TimeZone(identifier: "America/New_York")!

    static func date(_ iso: String) -> Date {
        let formatter = ISO8601DateFormatter()
        return formatter.date(from: iso)!
    }

    static func iso(_ date: Date?) -> String {
        guard let date else { return "nil" }
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: date)
    }

    /// The next `count` firings after `start`.
    static func firings(_ expression: String, after start: String, in zone: TimeZone = utc, count: Int = 1) throws
        -> [String] {
        let cron = try CronExpression(parsing: expression)
        var times: [String] = []
        var after = date(start)
        for _ in 0..<count {
            guard let next = cron.next(after: after, in: zone) else { times.append("nil"); break }
            times.append(iso(next))
            after = next
        }
        return times
    }

    // MARK: crontab(5)

    @Test func crontabExamplesFireWhereTheManualSays() throws {
        // "run five minutes after midnight, every day"
        #expect(try Self.firings("5 0 * * *", after: "2026-12-01T00:05:00Z", count: 2)
                == ["2026-12-02T00:05:00Z", "2026-12-03T00:05:00Z"])
        // "run at 2:15pm on the first of every month"
        #expect(try Self.firings("15 14 1 * *", after: "2026-12-01T15:00:00Z") == ["2027-01-01T14:15:00Z"])
        // "run at 10 pm on weekdays": Friday 4 December, then Monday 7 December
        #expect(try Self.firings("0 22 * * 1-5", after: "2026-12-04T12:00:00Z", count: 2)
                == ["2026-12-04T22:00:00Z", "2026-12-07T22:00:00Z"])
        // "23 minutes after midnight, 2am, 4am ..., everyday"
        #expect(try Self.firings("23 0-23/2 * * *", after: "2026-12-01T00:30:00Z", count: 2)
                == ["2026-12-01T02:23:00Z", "2026-12-01T04:23:00Z"])
        // "run at 5 after 4 every Sunday"
        #expect(try Self.firings("5 4 * * sun", after: "2026-12-01T00:00:00Z") == ["2026-12-06T04:05:00Z"])
    }

    @Test func whenBothDayFieldsAreRestrictedEitherMatchFires() throws {
        // crontab(5): "30 4 1,15 * 5" runs at 4:30 am on the 1st and 15th of each month, plus every Friday.
        #expect(try Self.firings("30 4 1,15 * 5", after: "2026-02-01T05:00:00Z", count: 6) == [
            "2026-02-06T04:30:00Z", "2026-02-13T04:30:00Z", "2026-02-15T04:30:00Z", "2026-02-20T04:30:00Z",
            "2026-02-27T04:30:00Z", "2026-03-01T04:30:00Z",
        ])
    }

    @Test func aDayFieldBeginningWithAStarCountsAsUnrestricted() throws {
        // Vixie's DOM_STAR: `*/10` is a star field, so day of month AND Monday must both hold (1, 11, 21, 31).
        #expect(try Self.firings("0 0 */10 * 1", after: "2026-01-01T00:00:00Z", count: 3)
                == ["2026-05-11T00:00:00Z", "2026-06-01T00:00:00Z", "2026-08-31T00:00:00Z"])
    }

    @Test func stepsRangesListsAndNames() throws {
        #expect(try Self.firings("*/15 * * * *", after: "2026-12-01T10:07:00Z", count: 3)
                == ["2026-12-01T10:15:00Z", "2026-12-01T10:30:00Z", "2026-12-01T10:45:00Z"])
        #expect(try CronExpression(parsing: "1-30/5 * * * *").minutes == [1, 6, 11, 16, 21, 26])
        #expect(try CronExpression(parsing: "0,30 8-10 * * *").hours == [8, 9, 10])
        #expect(try Self.firings("0 9 * JAN-MAR MON-FRI", after: "2026-03-31T12:00:00Z") == ["2027-01-01T09:00:00Z"])
        #expect(try CronExpression(parsing: "0 0 * jul,Dec sat").months == [7, 12])
        // 0 and 7 are both Sunday.
        #expect(try CronExpression(parsing: "0 0 * * 7").daysOfWeek == [0])
        #expect(try Self.firings("0 0 * * 7", after: "2026-12-01T00:00:00Z")
                == (try Self.firings("0 0 * * 0", after: "2026-12-01T00:00:00Z")))
        #expect(try CronExpression(parsing: "0 0 * * 5-7").daysOfWeek == [0, 5, 6])
    }

    @Test(arguments: [
        ("@yearly", "0 0 1 1 *"), ("@annually", "0 0 1 1 *"), ("@monthly", "0 0 1 * *"), ("@weekly", "0 0 * * 0"),
        ("@daily", "0 0 * * *"), ("@hourly", "0 * * * *"),
    ])
    func macrosFireLikeTheirFiveFields(macro: String, fields: String) throws {
        #expect(try Self.firings(macro, after: "2026-06-10T10:10:00Z", count: 3)
                == (try Self.firings(fields, after: "2026-06-10T10:10:00Z", count: 3)))
    }

    @Test func feb29FiresInLeapYearsOnly() throws {
        #expect(try Self.firings("0 0 29 2 *", after: "2026-01-01T00:00:00Z", count: 2)
                == ["2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"])
    }

    @Test func the31stSkipsShortMonths() throws {
        #expect(try Self.firings("0 0 31 * *", after: "2026-01-31T00:00:00Z", count: 3)
                == ["2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z", "2026-07-31T00:00:00Z"])
    }

    @Test func nextIsStrictlyAfterTheGivenTime() throws {
        #expect(try Self.firings("0 12 * * *", after: "2026-12-01T12:00:00Z") == ["2026-12-02T12:00:00Z"])
        #expect(try Self.firings("0 12 * * *", after: "2026-12-01T11:59:59Z") == ["2026-12-01T12:00:00Z"])
    }

    // MARK: time zones and daylight saving time

    @Test func wallClockTimesAreReadInTheZone() throws {
        // 09:00 in Berlin is 08:00 UTC in winter (CET) and 07:00 UTC in summer (CEST).
        #expect(try Self.firings("0 9 * * *", after: "2026-01-10T00:00:00Z", in: Self.berlin) == ["2026-01-10T08:00:00Z"])
        #expect(try Self.firings("0 9 * * *", after: "2026-07-10T00:00:00Z", in: Self.berlin) == ["2026-07-10T07:00:00Z"])
    }

    @Test func aTimeSkippedBySpringForwardFiresAtTheEndOfTheGapInBerlin() throws {
        // 29 March 2026: 02:00 CET becomes 03:00 CEST at 01:00 UTC; 02:30 does not exist that day.
        #expect(try Self.firings("30 2 * * *", after: "2026-03-28T12:00:00Z", in: Self.berlin, count: 2)
                == ["2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"])
        // Every skipped time collapses onto one instant: a job every 15 minutes runs once there.
        #expect(try Self.firings("*/15 * * * *", after: "2026-03-29T00:50:00Z", in: Self.berlin, count: 3)
                == ["2026-03-29T01:00:00Z", "2026-03-29T01:15:00Z", "2026-03-29T01:30:00Z"])
    }

    @Test func aTimeRepeatedByFallBackFiresOnceInBerlin() throws {
        // 25 October 2026: 03:00 CEST becomes 02:00 CET at 01:00 UTC; 02:30 happens at 00:30 and 01:30 UTC.
        #expect(try Self.firings("30 2 * * *", after: "2026-10-24T12:00:00Z", in: Self.berlin, count: 2)
                == ["2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"])
        // The repeated hour's times are not run a second time.
        #expect(try Self.firings("*/30 * * * *", after: "2026-10-25T00:45:00Z", in: Self.berlin)
                == ["2026-10-25T02:00:00Z"])
    }

    @Test func springForwardAndFallBackInNewYork() throws {
        // 8 March 2026: 02:00 EST becomes 03:00 EDT at 07:00 UTC.
        #expect(try Self.firings("30 2 * * *", after: "2026-03-07T12:00:00Z", in: Self.newYork, count: 2)
                == ["2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"])
        // 1 November 2026: 02:00 EDT becomes 01:00 EST at 06:00 UTC; 01:30 fires at its first occurrence only.
        #expect(try Self.firings("30 1 * * *", after: "2026-10-31T12:00:00Z", in: Self.newYork, count: 2)
                == ["2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"])
        #expect(try Self.firings("0 * * * *", after: "2026-11-01T05:30:00Z", in: Self.newYork, count: 2)
                == ["2026-11-01T07:00:00Z", "2026-11-01T08:00:00Z"])
    }

    // MARK: errors

    @Test(arguments: [
        ("* * * *", "expression"), ("* * * * * *", "expression"), ("60 * * * *", "minute"), ("* 24 * * *", "hour"),
        ("* * 0 * *", "day-of-month"), ("* * 32 * *", "day-of-month"), ("* * * 13 *", "month"),
        ("* * * FOO *", "month"), ("* * * * 8", "day-of-week"), ("* * * * FRY", "day-of-week"),
        ("*/0 * * * *", "minute"), ("5-1 * * * *", "minute"), ("5/15 * * * *", "minute"), ("1,,2 * * * *", "minute"),
        ("@reboot", "expression"), ("@every5m", "expression"), ("0 0 30 2 *", "day-of-month"), ("", "expression"),
    ])
    func invalidExpressionsNameTheField(expression: String, field: String) {
        do {
            _ = try CronExpression(parsing: expression)
            Issue.record("\(expression) was accepted")
        } catch {
            #expect(error.field == field, "\(expression): \(error)")
            #expect(error.description.hasPrefix(field))
        }
    }

    @Test func aScheduleNamesTheBadPartWhenItCannotBeEvaluated() {
        #expect(throws: RapportError.self) { try Schedule.nextRun(cron: "* * *", zone: "UTC", after: 0) }
        #expect(throws: RapportError.self) { try Schedule.nextRun(cron: "* * * * *", zone: "Mars/Olympus", after: 0) }
        #expect(Schedule.jobKey(scheduleId: "s1", due: 1_767_225_600_999) == "schedule:s1:1767225600")
    }
}
