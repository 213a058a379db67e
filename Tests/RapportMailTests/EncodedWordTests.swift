import Testing

@testable import RapportMail

/// RFC 2047 encoded-words. The RFC's own examples (§8) use ISO-8859-1 and US-ASCII; the same text in UTF-8 Q encoding
/// is what these check for.
struct EncodedWordTests {
    @Test func andreFromTheRFCExamplesIsQEncodedInUTF8() {
        // RFC 2047 §8: =?ISO-8859-1?Q?Andr=E9?= — é is C3 A9 in UTF-8.
        #expect(EncodedWord.encode("André") == ["=?UTF-8?Q?Andr=C3=A9?="])
    }

    @Test func spaceBecomesUnderscoreAsInKeithMoore() {
        // RFC 2047 §8: =?US-ASCII?Q?Keith_Moore?=
        #expect(EncodedWord.encode("Keith Moore") == ["=?UTF-8?Q?Keith_Moore?="])
    }

    @Test func questionMarkEqualsAndUnderscoreAreEncoded() {
        #expect(EncodedWord.encode("a?b=c_d") == ["=?UTF-8?Q?a=3Fb=3Dc=5Fd?="])
    }

    @Test(arguments: [
        "Grüße aus Köln: Ihre Bestellung über 12 € ist unterwegs und kommt bald an ✓",
        "顧客満足度調査のお願い — ご協力いただければ幸いです。よろしくお願いいたします。",
        String(repeating: "🎉", count: 40),
    ])
    func longTextIsSplitIntoWordsOfAtMost75WithoutSplittingACharacter(text: String) {
        let words = EncodedWord.encode(text, firstWordLimit: 75 - "Subject: ".count)
        #expect(words.count > 1)
        #expect(words.allSatisfy { $0.count <= 75 && $0.hasPrefix("=?UTF-8?Q?") && $0.hasSuffix("?=") })
        #expect(words[0].count <= 75 - "Subject: ".count)
        // Each word decodes to valid UTF-8 on its own (RFC 2047 §5: a character's octets are not split).
        let decoded = words.map { word -> String? in
            let payload = word.dropFirst("=?UTF-8?Q?".count).dropLast(2).replacingUnderscores
            return String(validating: decodeQuotedPrintable(payload), as: UTF8.self)
        }
        #expect(decoded.allSatisfy { $0 != nil })
        #expect(decoded.compactMap { $0 }.joined() == text)
    }
}

extension Substring {
    var replacingUnderscores: String { String(map { $0 == "_" ? " " : $0 }) }
}
