import Foundation

/// Amounts of money. Stored and added up as integers of the currency's minor unit (cents, fils, yen), never as
/// floating point; read from and written as decimal numbers with as many decimals as the currency has (ISO 4217).
public enum Money {
    /// Currencies whose minor unit is not 1/100: ISO 4217's list of codes, "minor unit" column (the exponent).
    /// Every other code, known or not, has 2. CLF and UYW (units of account) have 4.
    static let minorUnits: [String: Int] = [
        "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0, "RWF": 0, "UGX": 0,
        "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
        "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
        "CLF": 4, "UYW": 4,
    ]

    /// The currency's ISO 4217 exponent: decimals shown, and minor units per unit as a power of ten (2 when unknown
    /// or nil).
    public static func decimals(_ currency: String?) -> Int {
        currency.flatMap { minorUnits[$0.uppercased()] } ?? 2
    }

    /// 10^exponent: minor units in one unit of the currency (100 cents, 1 yen, 1,000 fils).
    public static func minorUnitsPerUnit(_ currency: String?) -> Int64 {
        (0..<decimals(currency)).reduce(1) { product, _ in product * 10 }
    }

    /// The largest amount Rapport takes, in the currency's units (10^12): beyond it a line or an order is refused.
    public static let maxUnits: Int64 = 1_000_000_000_000

    /// A decimal number's text (`19.99`, `1234`, `1.234`, `1e3`, `-0.5`) as minor units of `currency`, rounded half
    /// to even when it has more decimals than the currency (`0.125` EUR → 12, `0.135` EUR → 14). Exact: the digits
    /// are shifted, never multiplied as a float. Nil when the text is not a number or the result overflows 64 bits.
    public static func minorUnits(decimalText text: String, currency: String?) -> Int64? {
        var bytes = Substring(text.trimmingCharacters(in: .whitespaces)).utf8[...]
        var negative = false
        if let sign = bytes.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
            negative = sign == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        var digits: [UInt8] = []
        var fractionDigits = 0
        var seenPoint = false
        var exponent = 0
        while let byte = bytes.first {
            if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                digits.append(byte - UInt8(ascii: "0"))
                if seenPoint { fractionDigits += 1 }
            } else if byte == UInt8(ascii: "."), !seenPoint {
                seenPoint = true
            } else if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                guard let value = Int(String(decoding: bytes.dropFirst(), as: UTF8.self)), abs(value) <= 400 else { return nil }
                exponent = value
                bytes = bytes[bytes.endIndex...]
                break
            } else {
                return nil
            }
            bytes = bytes.dropFirst()
        }
        guard !digits.isEmpty else { return nil }
        // value = digits × 10^(exponent − fractionDigits); minor units = value × 10^decimals.
        let shift = exponent - fractionDigits + decimals(currency)
        var kept = digits
        var firstDropped: UInt8 = 0
        var restDropped = false
        if shift >= 0 {
            kept += [UInt8](repeating: 0, count: shift)
        } else {
            let dropCount = -shift
            let keep = max(0, digits.count - dropCount)
            let dropped = digits[keep...]
            if dropCount > digits.count {
                // More places dropped than digits written: the first dropped place is a zero.
                restDropped = dropped.contains { $0 != 0 }
            } else {
                firstDropped = dropped.first ?? 0
                restDropped = dropped.dropFirst().contains { $0 != 0 }
            }
            kept = Array(digits[..<keep])
        }
        var result: Int64 = 0
        for digit in kept.drop(while: { $0 == 0 }) {
            let (times, overflow1) = result.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int64(digit))
            guard !overflow1, !overflow2 else { return nil }
            result = sum
        }
        // Half to even: up when above a half, or exactly a half and the kept amount is odd.
        if firstDropped > 5 || (firstDropped == 5 && (restDropped || result % 2 == 1)) {
            guard result < Int64.max else { return nil }
            result += 1
        }
        return negative ? -result : result
    }

    /// A JSON amount as minor units of `currency` (see `minorUnits(decimalText:currency:)`). A number is read from
    /// the shortest text that gives back the same Double, which is the text the sender wrote whenever it had at most
    /// 15 significant digits (DBL_DIG); an integer beyond 2^53 from its digits; a string (lenient readers only) from
    /// itself. Nil for anything else.
    public static func minorUnits(_ value: JSONValue, currency: String?, acceptStrings: Bool) -> Int64? {
        switch value {
        case .number(let number):
            guard number.isFinite else { return nil }
            return minorUnits(decimalText: "\(number)", currency: currency)
        case .bigInteger(let digits): return minorUnits(decimalText: digits, currency: currency)
        case .string(let text) where acceptStrings: return minorUnits(decimalText: text, currency: currency)
        default: return nil
        }
    }

    /// Minor units as the decimal text people read, without the code: `1234.50` for EUR, `1235` for JPY, `1.234` for
    /// KWD.
    public static func format(minorUnits amount: Int64, currency: String?) -> String {
        let places = decimals(currency)
        let magnitude = String(amount.magnitude)
        let sign = amount < 0 ? "-" : ""
        guard places > 0 else { return sign + magnitude }
        let padded = String(repeating: "0", count: max(0, places + 1 - magnitude.count)) + magnitude
        return sign + padded.dropLast(places) + "." + padded.suffix(places)
    }

    /// Minor units as a JSON number with the currency's decimals (`19.99`, `1234`, `1.234`). Exact up to 15
    /// significant digits: the Double nearest the decimal is written back as that decimal.
    public static func json(minorUnits amount: Int64, currency: String?) -> JSONValue {
        .number(Double(format(minorUnits: amount, currency: currency)) ?? 0)
    }

    /// Minor units in the currency's units, as a Double for comparisons (segment rules) and quintiles.
    public static func units(minorUnits amount: Int64, currency: String?) -> Double {
        Double(format(minorUnits: amount, currency: currency)) ?? 0
    }

    /// `total / count` in minor units, rounded half to even (an average order value).
    public static func average(minorUnits total: Int64, count: Int) -> Int64 {
        guard count > 0 else { return 0 }
        let divisor = Int64(count)
        let quotient = total / divisor, remainder = total % divisor
        let twice = remainder.magnitude * 2
        if twice > divisor.magnitude || (twice == divisor.magnitude && quotient % 2 != 0) {
            return total < 0 ? quotient - 1 : quotient + 1
        }
        return quotient
    }
}
