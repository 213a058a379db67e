import RapportCore

/// The hosted survey page in a workspace's colour: the header, the send button and the chosen score on the brand
/// colour, in the text colour `BrandColor` picked for contrast (at least 4.5:1, WCAG AA). A chosen score also gets a
/// dark ring and bold text, so it stands out whatever the colour (a pale one barely differs from the white around it).
public enum BrandStyle {
    /// Where the page finds the stylesheet of `color`.
    public static func url(_ color: BrandColor) -> String { "/brand/\(color.digits).css" }

    public static func css(_ color: BrandColor) -> String {
        let (background, text) = (color.hex, color.textHex)
        return """
            .take-survey .survey-brand { background: \(background); border-bottom-color: \(background); }
            .take-survey .survey-brand .brand { color: \(text); }
            .take-survey #survey-submit { background: \(background); color: \(text); box-shadow: 0 0 0 1px #52606d; }
            .take-survey .scale-option input:checked + label { background: \(background); color: \(text); border-color: #1d2433;
              box-shadow: inset 0 0 0 2px #1d2433; font-weight: 700; }

            """
    }
}
