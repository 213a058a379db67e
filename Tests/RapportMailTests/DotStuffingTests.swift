import Testing

@testable import RapportMail

/// RFC 5321 §4.5.2: a line that starts with "." gets another "."; the data ends with CRLF "." CRLF.
struct DotStuffingTests {
    @Test(arguments: [
        (".hidden\r\n", "..hidden\r\n.\r\n"),
        ("a\r\n.\r\nb\r\n", "a\r\n..\r\nb\r\n.\r\n"),
        ("a\r\n..two\r\n", "a\r\n...two\r\n.\r\n"),
        ("a.b\r\nc. d\r\n", "a.b\r\nc. d\r\n.\r\n"),
        ("no final line break", "no final line break\r\n.\r\n"),
    ])
    func linesStartingWithADotAreDoubledAndTheDataIsTerminated(input: String, output: String) {
        #expect(String(decoding: DotStuffing.stuff(Array(input.utf8)), as: UTF8.self) == output)
    }

    @Test func aLoneDotInTheMiddleCannotEndTheData() {
        let stuffed = String(decoding: DotStuffing.stuff(Array("a\r\n.\r\nb\r\n".utf8)), as: UTF8.self)
        #expect(stuffed.ranges(of: "\r\n.\r\n").count == 1)
        #expect(stuffed.hasSuffix("b\r\n.\r\n"))
    }
}
