/// RFC 2047 encoded-words (`=?UTF-8?Q?…?=`) for header text that is not ASCII.
enum EncodedWord {
    /// An encoded-word may be at most 75 characters long (RFC 2047 §2).
    static let maxWordLength = 75
    private static let prefix = "=?UTF-8?Q?"
    private static let suffix = "?="

    /// Encodes `text` as Q-encoded words (RFC 2047 §4.2), each at most 75 characters and never splitting a character's
    /// UTF-8 sequence across two words (§5 rule). Only letters, digits and `!*+-/` stay literal, so the words are
    /// valid in a phrase (a display name, §5 (3)) as well as in unstructured text; a space becomes `_`.
    /// `firstWordLimit` lets the caller shorten the first word so it fits on the header's first line.
    static func encode(_ text: String, firstWordLimit: Int = maxWordLength) -> [String] {
        var words: [String] = []
        var current = ""
        var limit = max(firstWordLimit, prefix.count + suffix.count + 12) - prefix.count - suffix.count
        for scalar in text.unicodeScalars {
            let piece = encodeScalar(scalar)
            if current.count + piece.count > limit, !current.isEmpty {
                words.append(prefix + current + suffix)
                current = ""
                limit = maxWordLength - prefix.count - suffix.count
            }
            current += piece
        }
        if !current.isEmpty || words.isEmpty { words.append(prefix + current + suffix) }
        return words
    }

    private static func encodeScalar(_ scalar: Unicode.Scalar) -> String {
        if scalar == " " { return "_" }
        if scalar.isASCII, let byte = UInt8(exactly: scalar.value),
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || "!*+-/".utf8.contains(byte) {
            return String(scalar)
        }
        var result = ""
        for byte in String(scalar).utf8 {
            result += "=" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
        }
        return result
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
