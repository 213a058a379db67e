import RapportCore
import Testing

@Suite("Money")
struct MoneyTests {
    @Test func amountsHaveTheirCurrencysDecimals() {
        #expect(Money.format(1234.5, currency: "EUR") == "1234.50")
        #expect(Money.format(1234.4, currency: "JPY") == "1234")
        #expect(Money.format(12.3456, currency: "kwd") == "12.346")
        #expect(Money.format(7, currency: nil) == "7.00")
        #expect(Money.format(7, currency: "XYZ") == "7.00")
    }
}
