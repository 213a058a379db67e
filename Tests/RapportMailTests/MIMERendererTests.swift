import Testing

@testable import RapportMail

struct MIMERendererTests {
    let from = try! EmailAddress("noreply@rapport.example", displayName: "Rapport")
    let to = try! EmailAddress("grace@example.com", displayName: "Grace Hopper")

    func render(_ message: EmailMessage) throws -> String {
        let bytes = try MIMERenderer().render(message, messageID: "abc123@rapport.example",
                                              secondsSince1970: 1_000_000_000, boundary: "BOUNDARY")
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func multipartAlternativeHasTheTextPartBeforeTheHTMLPart() throws {
        let message = EmailMessage(from: from, to: [to], subject: "Hello", textBody: "Hi Grace",
                                   htmlBody: "<p>Hi Grace</p>", unsubscribeURL: "https://rapport.example/u/tok")
        let text = try render(message)
        let headerEnd = try #require(text.firstRange(of: "\r\n\r\n"))
        let headers = text[..<headerEnd.lowerBound].components
        #expect(headers.contains("Date: Sun, 09 Sep 2001 01:46:40 +0000"))
        #expect(headers.contains("From: Rapport <noreply@rapport.example>"))
        #expect(headers.contains("To: Grace Hopper <grace@example.com>"))
        #expect(headers.contains("Subject: Hello"))
        #expect(headers.contains("Message-ID: <abc123@rapport.example>"))
        #expect(headers.contains("MIME-Version: 1.0"))
        #expect(headers.contains("List-Unsubscribe: <https://rapport.example/u/tok>"))
        #expect(headers.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"))
        #expect(headers.contains("Content-Type: multipart/alternative; boundary=\"BOUNDARY\""))
        let plain = try #require(text.firstRange(of: "Content-Type: text/plain; charset=utf-8"))
        let html = try #require(text.firstRange(of: "Content-Type: text/html; charset=utf-8"))
        #expect(plain.lowerBound < html.lowerBound)
        #expect(text.hasSuffix("--BOUNDARY--\r\n"))
    }

    @Test func everyLineEndsInCRLFAndBodiesAreSevenBit() throws {
        let message = EmailMessage(from: from, to: [to], subject: "Grüße ✓", textBody: "Zeile 1\nZeile 2\rZeile 3 ü",
                                   htmlBody: "<p>ü</p>\n")
        let bytes = try MIMERenderer().render(message, messageID: "x@y", secondsSince1970: 0)
        for (index, byte) in bytes.enumerated() {
            #expect(byte < 0x80)
            if byte == 0x0A { #expect(index > 0 && bytes[index - 1] == 0x0D) }
            if byte == 0x0D { #expect(index + 1 < bytes.count && bytes[index + 1] == 0x0A) }
        }
    }

    @Test func aMessageWithoutHTMLIsOneTextPart() throws {
        let text = try render(EmailMessage(from: from, to: [to], subject: "Plain", textBody: "Just text."))
        #expect(text.contains("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable"))
        #expect(!text.contains("multipart"))
        #expect(!text.contains("List-Unsubscribe"))
    }

    @Test func nonASCIISubjectIsEncodedAndFoldedIntoWordsOf75() throws {
        let subject = "Ihre Meinung zählt: Wie zufrieden waren Sie mit unserem Kundenservice in München?"
        let text = try render(EmailMessage(from: from, to: [to], subject: subject, textBody: "x"))
        let line = try #require(text.components.first { $0.hasPrefix("Subject: ") })
        #expect(line.hasPrefix("Subject: =?UTF-8?Q?"))
        #expect(line.count <= 78)
        let continuation = text.components.drop { !$0.hasPrefix("Subject: ") }.dropFirst().prefix { $0.hasPrefix(" ") }
        #expect(!continuation.isEmpty)
        #expect(continuation.allSatisfy { $0.count - 1 <= 75 })
    }

    @Test func longASCIISubjectIsFoldedAtSpaces() throws {
        let subject = Array(repeating: "word", count: 30).joined(separator: " ")
        let text = try render(EmailMessage(from: from, to: [to], subject: subject, textBody: "x"))
        let lines = text.components.drop { !$0.hasPrefix("Subject: ") }
        #expect(lines.first!.count <= 78)
        let folded = lines.prefix { $0.hasPrefix("Subject: ") || $0.hasPrefix(" ") }
        #expect(folded.count > 1)
        // Unfolding (RFC 5322 §2.2.3: remove the CRLF) restores the value.
        #expect(folded.joined() == "Subject: " + subject)
    }

    @Test(arguments: [
        ("Rapport Team", "Rapport Team <a@example.com>"),
        ("Smith, John", "\"Smith, John\" <a@example.com>"),
        ("Dr. O\"Brien", "\"Dr. O\\\"Brien\" <a@example.com>"),
        ("Jürgen", "=?UTF-8?Q?J=C3=BCrgen?= <a@example.com>"),
    ])
    func displayNamesAreQuotedOrEncodedAsNeeded(name: String, rendered: String) throws {
        #expect(MIMERenderer.mailbox(try EmailAddress("a@example.com", displayName: name)) == rendered)
    }

    @Test func severalRecipientsAreCommaSeparated() throws {
        let second = try EmailAddress("ada@example.com")
        let text = try render(EmailMessage(from: from, to: [to, second], subject: "s", textBody: "x"))
        #expect(text.contains("To: Grace Hopper <grace@example.com>,\r\n ada@example.com\r\n"))
    }

    @Test func mostlyNonLatinTextIsBase64AndLatinTextQuotedPrintable() {
        #expect(MIMERenderer.encodeBody("ご注文ありがとうございます。発送が完了しました。").encoding == "base64")
        #expect(MIMERenderer.encodeBody("Vielen Dank für Ihre Bestellung.").encoding == "quoted-printable")
    }

    @Test(arguments: [
        ("subject", EmailMessage.injecting(subject: "Hi\r\nBcc: victim@example.com")),
        ("header X-Campaign", EmailMessage.injecting(extra: ("X-Campaign", "a\nBcc: victim@example.com"))),
        ("unsubscribe URL", EmailMessage.injecting(unsubscribe: "https://x.example/u\r\nBcc: v@example.com")),
    ])
    func lineBreaksInHeaderValuesAreRefused(field: String, message: EmailMessage) {
        #expect(throws: EmailError.headerInjection(field: field)) {
            _ = try MIMERenderer().render(message, messageID: "x@y", secondsSince1970: 0)
        }
    }

    @Test func lineBreaksInAddressesAndDisplayNamesAreRefused() {
        #expect(throws: EmailError.headerInjection(field: "to")) {
            _ = try EmailAddress("a@example.com\r\nBcc: v@example.com", field: "to")
        }
        #expect(throws: EmailError.headerInjection(field: "from")) {
            _ = try EmailAddress("a@example.com", displayName: "Eve\nBcc: v@example.com", field: "from")
        }
        #expect(throws: EmailError.headerInjection(field: "from")) {
            _ = try EmailAddress(parsing: "Eve <a@example.com>\nBcc: v@example.com", field: "from")
        }
    }

    @Test func headersTheRendererOwnsCannotBeAddedAgain() {
        let message = EmailMessage.injecting(extra: ("from", "evil@example.com"))
        #expect(throws: EmailError.self) {
            _ = try MIMERenderer().render(message, messageID: "x@y", secondsSince1970: 0)
        }
    }

    @Test func unsubscribeURLMustBeHTTPS() {
        #expect(throws: EmailError.invalidUnsubscribeURL("http://x.example/u")) {
            _ = try MIMERenderer().render(EmailMessage.injecting(unsubscribe: "http://x.example/u"),
                                          messageID: "x@y", secondsSince1970: 0)
        }
    }

    @Test(arguments: [
        (Int64(0), "Thu, 01 Jan 1970 00:00:00 +0000"),
        (Int64(951_782_400), "Tue, 29 Feb 2000 00:00:00 +0000"),
        (Int64(1_000_000_000), "Sun, 09 Sep 2001 01:46:40 +0000"),
        (Int64(1_798_761_599), "Thu, 31 Dec 2026 23:59:59 +0000"),
    ])
    func dateHeaderIsRFC5322(seconds: Int64, expected: String) {
        #expect(MessageDate.format(secondsSince1970: seconds) == expected)
    }

    @Test func messageIDsAreRandomAndCarryTheSendersDomain() {
        let first = RandomToken.messageID(domain: "rapport.example")
        let second = RandomToken.messageID(domain: "rapport.example")
        #expect(first != second)
        #expect(first.hasSuffix("@rapport.example"))
        #expect(first.count == 32 + "@rapport.example".count)
    }

    @Test(arguments: [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="),
                      ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")])
    func base64MatchesRFC4648TestVectors(input: String, output: String) {
        #expect(Base64.encode(Array(input.utf8)) == output)
    }

    @Test(arguments: ["Grace Hopper <grace@example.com>", "\"Hopper, Grace\" <grace@example.com>"])
    func addressesParseWithDisplayNames(text: String) throws {
        let address = try EmailAddress(parsing: text)
        #expect(address.address == "grace@example.com")
        #expect(address.displayName?.contains("Grace") == true)
    }

    @Test(arguments: ["no-at-sign", "@example.com", "grace@", "gr ace@example.com", "a@b@", "<a@example.com"])
    func malformedAddressesAreRefused(text: String) {
        #expect(throws: EmailError.self) { _ = try EmailAddress(parsing: text) }
    }
}

extension EmailMessage {
    static func injecting(subject: String = "s", extra: (String, String)? = nil, unsubscribe: String? = nil)
        -> EmailMessage
    {
        EmailMessage(from: try! EmailAddress("a@example.com"), to: [try! EmailAddress("b@example.com")],
                     subject: subject, textBody: "x", unsubscribeURL: unsubscribe,
                     extraHeaders: extra.map { [(name: $0.0, value: $0.1)] } ?? [])
    }
}

extension Substring {
    /// The lines of a CRLF text.
    var components: [String] { String(self).components }
}

extension String {
    /// The lines of a CRLF text.
    var components: [String] {
        split(separator: Character("\r\n"), omittingEmptySubsequences: false).map(String.init)
    }
}
