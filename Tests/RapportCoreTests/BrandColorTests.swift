import RapportCore
import Testing

/// The brand colour's parsing and its text colour, checked against WCAG 2.x's definitions: relative luminance and
/// the contrast ratio (https://www.w3.org/TR/WCAG21/#dfn-contrast-ratio), with values published for known pairs.
@Suite("Brand colour")
struct BrandColorTests {
    @Test(arguments: [("#1F6FEB", "#1f6feb"), ("#abc", "#aabbcc"), (" #000000 ", "#000000")])
    func aColourIsReadInAnyCaseAndShortForm(raw: String, hex: String) throws {
        #expect(try BrandColor(raw).hex == hex)
    }

    @Test(arguments: ["blue", "#12345", "#1234567", "#ggg", "1f6feb", "", "#１２３"])
    func anythingElseIsRefusedNamingTheField(raw: String) {
        #expect(throws: RapportError.invalid("brand_color", "brand_color must be a colour like #1f6feb (a # and 3 or 6 hex digits).")) {
            try BrandColor(raw)
        }
    }

    /// Black on white is 21:1, the largest ratio; #777777 on white is 4.48:1 (just below AA), on black 4.69:1.
    @Test func contrastMatchesWCAGsPublishedValues() throws {
        #expect(try BrandColor("#000000").textHex == "#ffffff" && abs(try BrandColor("#000000").textContrast - 21) < 1e-9)
        let grey = try BrandColor("#777777")
        #expect(abs(BrandColor.contrast(grey.relativeLuminance, 1) - 4.48) < 0.005)
        #expect(grey.textHex == "#000000" && abs(grey.textContrast - 4.69) < 0.005)
        #expect(try BrandColor("#3949ab").textHex == "#ffffff")
        #expect(try BrandColor("#ffcc00").textHex == "#000000")
    }

    /// The text colour chosen always reaches AA's 4.5:1, so no colour needs refusing: every grey and a spread of
    /// colours across the cube.
    @Test func theChosenTextAlwaysReachesAA() throws {
        var worst = 21.0
        for red in stride(from: 0, through: 255, by: 15) {
            for green in stride(from: 0, through: 255, by: 5) {
                for blue in stride(from: 0, through: 255, by: 15) {
                    let hex = "#" + [red, green, blue].map { String($0, radix: 16).leftPadded }.joined()
                    worst = min(worst, try BrandColor(hex).textContrast)
                }
            }
        }
        for level in 0...255 {
            let part = String(level, radix: 16).leftPadded
            worst = min(worst, try BrandColor("#" + part + part + part).textContrast)
        }
        #expect(worst >= 4.5 && worst < 4.7, "the worst case is near 4.58: \(worst)")
    }
}

private extension String {
    var leftPadded: String { count == 1 ? "0" + self : self }
}
