extension String {
    /// The string without leading and trailing white space (Unicode White_Space: spaces, tabs, line breaks).
    /// Foundation's `trimmingCharacters(in:)` bridges through NSString and took a sixth of ingest's parsing time;
    /// this returns `self` without copying when there is nothing to trim, the usual case for ids and names.
    public var trimmed: String {
        let utf8 = self.utf8
        guard let first = utf8.first, let last = utf8.last else { return self }
        // ASCII fast path: printable, non-space bytes at both ends.
        if first > 0x20, first < 0x7F, last > 0x20, last < 0x7F { return self }
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[start...end])
    }

    /// `lowercased()` without a copy for strings that have no upper-case ASCII and no non-ASCII characters.
    public var lowercasedFast: String {
        var needsWork = false
        for byte in utf8 where byte >= 0x80 || (byte >= 0x41 && byte <= 0x5A) {
            needsWork = true
            break
        }
        return needsWork ? lowercased() : self
    }
}
