import Testing

@testable import RapportMail

/// Quoted-printable as RFC 2045 §6.7 specifies it; `decodeQuotedPrintable` below is the RFC's decoding, written
/// independently of the encoder, so round trips check the encoding against the rules rather than against itself.
struct QuotedPrintableTests {
    @Test func equalsSignIsAlwaysEncodedRule1() {
        #expect(QuotedPrintable.encode(Array("a=b".utf8)) == "a=3Db")
    }

    @Test func nonASCIIBytesBecomeUpperCaseHexTriplets() {
        // "Grüße" in UTF-8: ü = C3 BC, ß = C3 9F.
        #expect(QuotedPrintable.encode(Array("Grüße".utf8)) == "Gr=C3=BC=C3=9Fe")
    }

    @Test func trailingSpaceAndTabAreEncodedRule3() {
        #expect(QuotedPrintable.encode(Array("end \r\nnext\t".utf8)) == "end=20\r\nnext=09")
        // Inside a line they stay literal.
        #expect(QuotedPrintable.encode(Array("a b\tc".utf8)) == "a b\tc")
    }

    @Test func lineBreaksStayHardBreaksRule4() {
        #expect(QuotedPrintable.encode(Array("one\r\ntwo\r\n".utf8)) == "one\r\ntwo\r\n")
    }

    @Test func aLineOfSeventySixCharactersIsNotBrokenRule5() {
        let line = String(repeating: "x", count: 76)
        #expect(QuotedPrintable.encode(Array(line.utf8)) == line)
    }

    @Test func longLinesGetSoftBreaksAndNoEncodedLineExceeds76() {
        let text = String(repeating: "a", count: 200) + "\r\n" + String(repeating: "é", count: 80) + " ."
        let encoded = QuotedPrintable.encode(Array(text.utf8))
        let lines = encoded.split(separator: "\r\n" as Character, omittingEmptySubsequences: false)
        #expect(lines.count > 4)
        #expect(lines.allSatisfy { $0.count <= 76 })
        #expect(lines[0] == Substring(String(repeating: "a", count: 75) + "="))
        // A soft break never splits a "=XX" triplet: every "=" starts a triplet or ends the line.
        for line in lines {
            let characters = Array(line)
            for (index, character) in characters.enumerated() where character == "=" {
                #expect(index == characters.count - 1 || index + 2 < characters.count)
            }
        }
        #expect(decodeQuotedPrintable(encoded) == Array(text.utf8))
    }

    @Test(arguments: [
        "Now's the time for all folk to come to the aid of their country.",
        "Trailing space at the end of a very long line that certainly needs a soft break somewhere  ",
        "=== equals === everywhere ===, and a tab\tbefore the end\t",
        "Übermäßig lange Zeile mit Umlauten, die über sechsundsiebzig Zeichen hinausgeht, damit umbrochen wird.",
        "日本語のテキストも正しく往復すること。",
    ])
    func roundTripsThroughTheRFCDecoding(text: String) {
        let encoded = QuotedPrintable.encode(Array(text.utf8))
        #expect(encoded.utf8.allSatisfy { $0 < 0x80 })
        #expect(encoded.split(separator: "\r\n" as Character).allSatisfy { $0.count <= 76 })
        #expect(decodeQuotedPrintable(encoded) == Array(text.utf8))
    }
}

/// RFC 2045 §6.7 decoding: "=" CRLF is a soft break (removed), "=XX" is a byte, anything else is itself.
func decodeQuotedPrintable(_ text: String) -> [UInt8] {
    let bytes = Array(text.utf8)
    var output: [UInt8] = []
    var index = 0
    while index < bytes.count {
        if bytes[index] == UInt8(ascii: "=") {
            if index + 2 < bytes.count, bytes[index + 1] == 0x0D, bytes[index + 2] == 0x0A {
                index += 3
                continue
            }
            let hex = String(decoding: bytes[(index + 1)...(index + 2)], as: UTF8.self)
            output.append(UInt8(hex, radix: 16)!)
            index += 3
        } else {
            output.append(bytes[index])
            index += 1
        }
    }
    return output
}
