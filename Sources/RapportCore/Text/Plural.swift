/// Counts in words: "1 order", "2 orders", "no rows".
public enum Plural {
    /// "`count` `singular`", with an "s" (or `plural`) unless `count` is 1.
    public static func count(_ count: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(count) \(word(count, singular, plural))"
    }

    /// The noun alone, in the form `count` asks for.
    public static func word(_ count: Int, _ singular: String, _ plural: String? = nil) -> String {
        count == 1 ? singular : (plural ?? singular + "s")
    }
}
