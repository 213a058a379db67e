/// Parses ISO-8601 / RFC 3339 timestamps as Segment clients send them: `2026-11-25T12:00:00Z`,
/// `2026-11-25T12:00:00.123456+01:00`, `2026-11-25 12:00:00`, or a bare date `2026-11-25` (midnight UTC).
public enum ISO8601 {
    /// Milliseconds since 1970 UTC, or nil when `text` is not a timestamp.
    public static func millis(_ text: String) -> Int64? {
        let chars = Array(text.utf8)
        var i = 0
        func number(_ count: Int) -> Int64? {
            guard i + count <= chars.count else { return nil }
            var value: Int64 = 0
            for _ in 0..<count {
                let c = chars[i]
                guard c >= 48 && c <= 57 else { return nil }
                value = value * 10 + Int64(c - 48)
                i += 1
            }
            return value
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < chars.count, chars[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = number(4), expect(45), let month = number(2), expect(45), let day = number(2),
              (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day) else { return nil }
        var hour: Int64 = 0, minute: Int64 = 0, second: Int64 = 0, fraction: Int64 = 0, offset: Int64 = 0
        if i < chars.count {
            guard chars[i] == 84 || chars[i] == 116 || chars[i] == 32 else { return nil }  // T, t, space
            i += 1
            guard let h = number(2), expect(58), let m = number(2) else { return nil }
            hour = h; minute = m
            if expect(58) {
                guard let s = number(2) else { return nil }
                second = s
                if i < chars.count, chars[i] == 46 || chars[i] == 44 {
                    i += 1
                    var digits = 0
                    while i < chars.count, chars[i] >= 48, chars[i] <= 57 {
                        if digits < 3 { fraction = fraction * 10 + Int64(chars[i] - 48) }
                        digits += 1
                        i += 1
                    }
                    guard digits > 0 else { return nil }
                    if digits < 3 { for _ in digits..<3 { fraction *= 10 } }
                }
            }
            guard hour < 24, minute < 60, second <= 60 else { return nil }
            if i < chars.count {
                if chars[i] == 90 || chars[i] == 122 {
                    i += 1
                } else if chars[i] == 43 || chars[i] == 45 {
                    let sign: Int64 = chars[i] == 45 ? -1 : 1
                    i += 1
                    // RFC 3339 time-numoffset: hours 00–23, minutes 00–59 (`+01`, `+0100` and `+01:00` are read).
                    guard let oh = number(2), oh < 24 else { return nil }
                    let colon = expect(58)
                    let om = number(2) ?? (colon ? nil : 0)
                    guard let om, om < 60 else { return nil }
                    offset = sign * (oh * 60 + om)
                } else {
                    return nil
                }
            }
        }
        guard i == chars.count else { return nil }
        let days = daysFromCivil(year, month, day)
        let millis = ((days * 24 + hour) * 60 + minute - offset) * 60_000 + second * 1000 + fraction
        // Years 0001–9999 in UTC only, so every stored time prints back as a valid RFC 3339 date-time.
        guard (-62_135_596_800_000...253_402_300_799_999).contains(millis) else { return nil }
        return millis
    }

    /// Days in `month` of `year` in the proleptic Gregorian calendar (February has 29 in leap years:
    /// divisible by 4, except centuries not divisible by 400).
    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Howard Hinnant's `days_from_civil`.
    static func daysFromCivil(_ y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = m > 2 ? m - 3 : m + 9
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
