import RapportCore
import Testing

@Suite("Money")
struct MoneyTests {
    @Test func amountsHaveTheirCurrencysDecimals() {
        #expect(Money.format(minorUnits: 123450, currency: "EUR") == "1234.50")
        #expect(Money.format(minorUnits: 1234, currency: "JPY") == "1234")
        #expect(Money.format(minorUnits: 12346, currency: "kwd") == "12.346")
        #expect(Money.format(minorUnits: 7, currency: nil) == "0.07")
        #expect(Money.format(minorUnits: 700, currency: "XYZ") == "7.00")
        #expect(Money.format(minorUnits: -5, currency: "EUR") == "-0.05")
        #expect(Money.format(minorUnits: 12345, currency: "CLF") == "1.2345")
    }

    /// ISO 4217 exponents: JPY 0, EUR 2, the seven three-decimal dinars/rials, CLF 4, anything unknown 2.
    @Test(arguments: [("JPY", 0), ("EUR", 2), ("usd", 2), ("KWD", 3), ("BHD", 3), ("JOD", 3), ("OMR", 3), ("TND", 3),
                      ("IQD", 3), ("LYD", 3), ("CLF", 4), ("XYZ", 2)])
    func exponentsFollowISO4217(currency: String, exponent: Int) {
        #expect(Money.decimals(currency) == exponent)
    }

    /// Decimal text to minor units, exactly, rounded half to even past the currency's decimals.
    @Test(arguments: [
        ("19.99", "EUR", 1999), ("1234", "JPY", 1234), ("1.234", "KWD", 1234), ("0.1", "EUR", 10), ("7", "EUR", 700),
        ("0.125", "EUR", 12), ("0.135", "EUR", 14), ("0.1251", "EUR", 13), ("0.005", "EUR", 0), ("0.0051", "EUR", 1),
        ("2.5", "JPY", 2), ("3.5", "JPY", 4), ("19.999", "EUR", 2000), ("1.2345", "CLF", 12345), ("1e3", "EUR", 100000),
        ("1.5E-2", "EUR", 2), ("5e-4", "EUR", 0), ("+1.10", "USD", 110), ("-0.5", "JPY", 0), ("-1.5", "JPY", -2),
        ("000.50", "EUR", 50), ("9007199254740993", "JPY", 9007199254740993),
    ] as [(String, String, Int64)])
    func decimalTextBecomesMinorUnitsExactly(text: String, currency: String, minor: Int64) {
        #expect(Money.minorUnits(decimalText: text, currency: currency) == minor)
    }

    @Test(arguments: ["", "abc", "1.2.3", "1e", "e5", "inf", "NaN", "0x10", "1,5", "99999999999999999999", "1e400"])
    func textThatIsNotAnAmountIsRefused(text: String) {
        #expect(Money.minorUnits(decimalText: text, currency: "EUR") == nil)
    }

    /// JSON numbers arrive as Doubles: their shortest round-trip text is what the sender wrote (up to 15 digits), so a
    /// float-computed `0.1 + 0.2` is 30 cents and 19.99 is 1999, never 1998.
    @Test func jsonNumbersAreReadFromTheirDecimalText() {
        #expect(Money.minorUnits(.number(19.99), currency: "EUR", acceptStrings: false) == 1999)
        #expect(Money.minorUnits(.number(0.1 + 0.2), currency: "EUR", acceptStrings: false) == 30)
        #expect(Money.minorUnits(.number(1.234), currency: "KWD", acceptStrings: false) == 1234)
        #expect(Money.minorUnits(.number(1e16), currency: "JPY", acceptStrings: false) == 10_000_000_000_000_000)
        #expect(Money.minorUnits(.string("19.99"), currency: "EUR", acceptStrings: true) == 1999)
        #expect(Money.minorUnits(.string("19.99"), currency: "EUR", acceptStrings: false) == nil)
        #expect(Money.minorUnits(.bool(true), currency: "EUR", acceptStrings: true) == nil)
        #expect(Money.json(minorUnits: 1999, currency: "EUR").jsonText == "19.99")
        #expect(Money.json(minorUnits: 1234, currency: "JPY").jsonText == "1234")
        #expect(Money.json(minorUnits: 1234, currency: "KWD").jsonText == "1.234")
    }

    /// Ten thousand amounts of 0.10 add up to exactly 1000.00; as Doubles they would not.
    @Test func aSumOfManyTenthsIsExact() {
        let tenth = Money.minorUnits(decimalText: "0.1", currency: "EUR")!
        let total = (0..<10_000).reduce(Int64(0)) { sum, _ in sum + tenth }
        #expect(Money.format(minorUnits: total, currency: "EUR") == "1000.00")
        let floats = (0..<10_000).reduce(0.0) { sum, _ in sum + 0.1 }
        #expect(floats != 1000, "the float sum drifts, which is why amounts are integers")
    }

    @Test func averagesRoundHalfToEven() {
        #expect(Money.average(minorUnits: 1000, count: 3) == 333)
        #expect(Money.average(minorUnits: 2000, count: 3) == 667)
        #expect(Money.average(minorUnits: 5, count: 2) == 2)
        #expect(Money.average(minorUnits: 7, count: 2) == 4)
        #expect(Money.average(minorUnits: 0, count: 0) == 0)
    }

    /// Orders read from Segment properties: amounts in minor units of the order's currency, lines summed as integers.
    @Test func ordersReadAmountsInMinorUnits() throws {
        let jpy = try Order.fromSegment(properties: ["order_id": "J", "currency": "jpy", "total": 1234])
        #expect(jpy.currency == "JPY" && jpy.totalMinorUnits == 1234)
        let kwd = try Order.fromSegment(properties: ["order_id": "K", "currency": "KWD", "revenue": .string("1.234")])
        #expect(kwd.totalMinorUnits == 1234)
        let lines = try Order.fromSegment(properties: [
            "order_id": "L", "currency": "EUR",
            "products": [["price": 0.1, "quantity": 3], ["price": 19.99, "quantity": 1], ["price": 0.125]],
        ])
        #expect(lines.lines.map(\.priceMinorUnits) == [10, 1999, 12])
        #expect(lines.totalMinorUnits == 30 + 1999 + 12)
        #expect(throws: RapportError.self) {
            try Order.fromSegment(properties: ["order_id": "T", "total": 1e13])
        }
        #expect(throws: RapportError.self) {
            try Order.fromSegment(properties: ["order_id": "S", "total": "19.99"], strict: true, fieldPrefix: "")
        }
        #expect(throws: RapportError.self) {
            try Order.fromSegment(properties: ["order_id": "N", "total": -1])
        }
    }
}
