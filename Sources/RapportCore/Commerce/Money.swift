import Foundation

/// Amounts as people read them: with as many decimals as the currency has minor units (ISO 4217).
public enum Money {
    /// Currencies whose minor unit is not 1/100 (ISO 4217 list of codes, "minor unit" column).
    static let minorUnits: [String: Int] = [
        "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0, "RWF": 0, "UGX": 0,
        "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
        "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
        "CLF": 4, "UYW": 4,
    ]

    /// Decimals shown for `currency` (2 when unknown or nil).
    public static func decimals(_ currency: String?) -> Int {
        currency.flatMap { minorUnits[$0.uppercased()] } ?? 2
    }

    /// `amount` with the currency's decimals, without the code: `1234.50` for EUR, `1235` for JPY.
    public static func format(_ amount: Double, currency: String?) -> String {
        String(format: "%.\(decimals(currency))f", amount)
    }
}
