import Foundation
import RapportCore

/// Text inside charts: escaped for SVG, numbers with a real minus sign, and dates in the workspace's time zone.
public enum ChartText {
    /// `text` safe inside SVG/XML element content and double-quoted attributes.
    public static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }

    /// `value` rounded to `decimals`, with "−" (U+2212) for negatives and no "−0".
    public static func number(_ value: Double, decimals: Int) -> String {
        let text = String(format: "%.\(decimals)f", abs(value))
        let isZero = Double(text) == 0
        return value < 0 && !isZero ? "−" + text : text
    }

    /// A coordinate as the charts write it, for tests that look for a point.
    public static func coordinateForTest(_ value: Double) -> String { coordinate(value) }

    /// A coordinate for SVG: at most two decimals, no trailing zeros.
    static func coordinate(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        if rounded == rounded.rounded() { return String(Int(rounded)) }
        var text = String(format: "%.2f", rounded)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// A period's start as an axis label: "12 Mar" for days and weeks, "Mar 2026" for months.
    public static func periodLabel(_ millis: Int64, period: MetricPeriod, timeZone: TimeZone) -> String {
        let parts = components(millis, timeZone)
        switch period {
        case .day, .week: return "\(parts.day) \(months[parts.month - 1])"
        case .month: return "\(months[parts.month - 1]) \(parts.year)"
        }
    }

    /// A period in words for titles and tooltips: "12 Mar 2026", "week of 2 Mar 2026", "March 2026".
    public static func periodName(_ millis: Int64, period: MetricPeriod, timeZone: TimeZone) -> String {
        let parts = components(millis, timeZone)
        let day = "\(parts.day) \(months[parts.month - 1]) \(parts.year)"
        switch period {
        case .day: return day
        case .week: return "week of \(day)"
        case .month: return "\(longMonths[parts.month - 1]) \(parts.year)"
        }
    }

    /// A day as people read it: "12 Mar 2026".
    public static func day(_ millis: Int64, timeZone: TimeZone) -> String {
        let parts = components(millis, timeZone)
        return "\(parts.day) \(months[parts.month - 1]) \(parts.year)"
    }

    private static let longMonths = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                                     "October", "November", "December"]

    private static func components(_ millis: Int64, _ timeZone: TimeZone) -> (year: Int, month: Int, day: Int) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(millis) / 1000))
        return (parts.year ?? 1970, parts.month ?? 1, parts.day ?? 1)
    }
}
