import NIOCore
import NIOEmbedded
import Testing

@testable import RapportMail

struct SMTPReplyTests {
    @Test func multiLineReplyFromRFC5321IsOneReply() throws {
        // RFC 5321 §4.2.1's example of a multiline reply.
        var parser = SMTPReplyParser()
        let partial = [try parser.feed("250-First line"), try parser.feed("250-Second line"),
                       try parser.feed("250-234 Text beginning with numbers")]
        #expect(partial == [nil, nil, nil])
        let reply = try parser.feed("250 The last line")
        #expect(reply == SMTPReply(code: 250, lines: ["First line", "Second line", "234 Text beginning with numbers",
                                                     "The last line"]))
    }

    @Test func aCodeAloneIsAReplyWithoutText() throws {
        var parser = SMTPReplyParser()
        let reply = try parser.feed("354")
        #expect(reply == SMTPReply(code: 354, lines: [""]))
    }

    @Test func aReplyWhoseCodeChangesIsRefused() throws {
        var parser = SMTPReplyParser()
        _ = try parser.feed("250-a")
        #expect(throws: SMTPReplyParser.Problem.codeChanged(expected: 250, got: 251)) { _ = try parser.feed("251 b") }
    }

    @Test(arguments: ["hello", "25", "250_x", "999 nine", "abc def"])
    func linesThatAreNotRepliesAreRefused(line: String) {
        var parser = SMTPReplyParser()
        #expect(throws: SMTPReplyParser.Problem.self) { _ = try parser.feed(line) }
    }

    @Test func decoderAssemblesRepliesAcrossReadsAndAcceptsBareLF() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(SMTPReplyDecoder()))
        try channel.writeInbound(ByteBuffer(string: "220 mail.example ESMTP\r\n250-mail.exa"))
        try channel.writeInbound(ByteBuffer(string: "mple\r\n250-SIZE 1000\n250 8BITMIME\r\n"))
        #expect(try channel.readInbound(as: SMTPReply.self) == SMTPReply(code: 220, lines: ["mail.example ESMTP"]))
        let ehlo = try #require(try channel.readInbound(as: SMTPReply.self))
        #expect(ehlo == SMTPReply(code: 250, lines: ["mail.example", "SIZE 1000", "8BITMIME"]))
        #expect(try channel.readInbound(as: SMTPReply.self) == nil)
        _ = try channel.finish()
    }

    @Test func ehloCapabilitiesAreRead() {
        // A Postfix EHLO reply, with the old "AUTH=" form beside the standard one.
        let reply = SMTPReply(code: 250, lines: [
            "mail.example.com", "PIPELINING", "SIZE 10240000", "VRFY", "ETRN", "STARTTLS", "AUTH PLAIN LOGIN",
            "AUTH=PLAIN LOGIN", "ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8", "CHUNKING",
        ])
        let capabilities = SMTPCapabilities(ehloReply: reply)
        #expect(capabilities.startTLS)
        #expect(capabilities.size)
        #expect(capabilities.maxMessageSize == 10_240_000)
        #expect(capabilities.authMechanisms == ["PLAIN", "LOGIN"])
        #expect(capabilities.eightBitMIME)
        #expect(capabilities.smtpUTF8)
        #expect(!capabilities.offers("mail.example.com"))
    }

    @Test func sizeWithoutALimitDeclaresNone() {
        let capabilities = SMTPCapabilities(ehloReply: SMTPReply(code: 250, lines: ["mx", "SIZE", "auth login"]))
        #expect(capabilities.size)
        #expect(capabilities.maxMessageSize == nil)
        #expect(capabilities.authMechanisms == ["LOGIN"])
        #expect(!capabilities.startTLS)
        #expect(!capabilities.smtpUTF8)
    }

    @Test(arguments: [(421, true), (450, true), (451, true), (452, true), (550, false), (552, false), (554, false)])
    func failureRepliesAreTransientWhen4xxAndPermanentWhen5xx(code: Int, transient: Bool) {
        let error = SMTPError.rejected(SMTPReply(code: code, lines: ["4.0.0 text"]), at: "RCPT TO")
        #expect(error.isTransient == transient)
        #expect(error.code == code)
        #expect(error.description.contains("SMTP \(code) 4.0.0 text"))
        #expect(error.description.contains(transient ? "temporary" : "permanent"))
    }
}

struct STARTTLSInjectionTests {
    @Test func aReplyFollowedByMoreBytesInTheSameReadIsMarked() throws {
        // RFC 3207 §5 / CVE-2011-0411: "220 Go ahead" and a forged reply in one packet, before the TLS handshake.
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(SMTPReplyDecoder()))
        try channel.writeInbound(ByteBuffer(string: "220 2.0.0 Ready to start TLS\r\n250 forged\r\n"))
        let ready = try #require(try channel.readInbound(as: SMTPReply.self))
        #expect(ready.code == 220 && ready.bytesFollowed)
        let forged = try #require(try channel.readInbound(as: SMTPReply.self))
        #expect(!forged.bytesFollowed)
        _ = try channel.finish()
    }
}
