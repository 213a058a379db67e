import Foundation

/// A workspace's brand colour (`#rrggbb`), the background of the hosted survey page's header and buttons and of the
/// invitation email's header, with the text colour that stays readable on it: black or white, whichever contrasts
/// more. One of the two always reaches WCAG's AA ratio for normal text (4.5:1): the ratios against black and white
/// are equal at a relative luminance of √(1.05 × 0.05) − 0.05 ≈ 0.179, where both are ≈ 4.58:1, and one of them grows
/// as the colour moves away from it. So no colour is refused for contrast; the text colour is chosen instead.
public struct BrandColor: Sendable, Equatable {
    /// `#` and six lower-case hex digits.
    public let hex: String
    let red: Int, green: Int, blue: Int

    /// `#rgb` or `#rrggbb` (any case); `field` names it in the error.
    public init(_ raw: String, field: String = "brand_color") throws(RapportError) {
        let text = raw.trimmed.lowercased()
        var digits = Array(text.dropFirst())
        guard text.hasPrefix("#"), digits.count == 3 || digits.count == 6, digits.allSatisfy(\.isHexDigit),
              digits.allSatisfy(\.isASCII) else {
            throw RapportError.invalid(field, "\(field) must be a colour like #1f6feb (a # and 3 or 6 hex digits).")
        }
        if digits.count == 3 { digits = digits.flatMap { [$0, $0] } }
        let value = Int(String(digits), radix: 16) ?? 0
        red = (value >> 16) & 0xFF
        green = (value >> 8) & 0xFF
        blue = value & 0xFF
        hex = "#" + String(digits)
    }

    /// The stored form read back (`#rrggbb`); nil for anything else.
    public static func stored(_ raw: String?) -> BrandColor? {
        guard let raw else { return nil }
        return try? BrandColor(raw)
    }

    /// WCAG 2.x relative luminance: each sRGB channel linearised (c/12.92 up to 0.04045, else ((c+0.055)/1.055)^2.4),
    /// weighted 0.2126 R + 0.7152 G + 0.0722 B.
    public var relativeLuminance: Double {
        func linear(_ channel: Int) -> Double {
            let c = Double(channel) / 255
            return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
    }

    /// WCAG 2.x contrast ratio of two luminances: (lighter + 0.05) / (darker + 0.05), from 1 to 21.
    public static func contrast(_ a: Double, _ b: Double) -> Double {
        (max(a, b) + 0.05) / (min(a, b) + 0.05)
    }

    /// Black or white, whichever contrasts more with this colour (ties go to white).
    public var textHex: String { contrastWithBlack > contrastWithWhite ? "#000000" : "#ffffff" }

    /// The contrast ratio of `textHex` on this colour (at least 4.58).
    public var textContrast: Double { max(contrastWithBlack, contrastWithWhite) }

    var contrastWithBlack: Double { Self.contrast(relativeLuminance, 0) }
    var contrastWithWhite: Double { Self.contrast(relativeLuminance, 1) }

    /// Six hex digits without the `#` (the brand stylesheet's path).
    public var digits: String { String(hex.dropFirst()) }
}
