import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// What the server said when it accepted a message.
public struct SMTPDelivery: Sendable {
    /// The `Message-ID` header's value, without angle brackets.
    public let messageID: String
    /// The reply to the end of DATA, e.g. `250 2.0.0 Ok: queued as 4Hx…`.
    public let reply: SMTPReply
}

/// Submits messages to one SMTP server, one connection per message (RFC 5321, with RFC 3207 STARTTLS, RFC 8314
/// implicit TLS, RFC 4954 AUTH PLAIN/LOGIN, RFC 1870 SIZE, RFC 6152 8BITMIME and RFC 6531 SMTPUTF8).
public struct SMTPClient: Sendable {
    public let settings: SMTPSettings
    private let group: any EventLoopGroup
    private let logger: Logger

    public init(settings: SMTPSettings, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                logger: Logger = Logger(label: "rapport.mail")) {
        self.settings = settings
        self.group = eventLoopGroup
        var logger = logger
        logger[metadataKey: "component"] = "smtp"
        self.logger = logger
    }

    /// Checks settings that can be checked without connecting (the CA file loads).
    public static func validate(_ settings: SMTPSettings) throws(SMTPError) {
        if settings.security != .none { _ = try SMTPTLS.makeContext(settings.trust) }
    }

    /// Renders and sends `message`; throws ``SMTPError`` (and only that) when the server does not accept it.
    /// `messageID` (without angle brackets) is the `Message-ID` to send, so that retries of one email carry the same
    /// one; a random one otherwise.
    public func send(_ message: EmailMessage, messageID fixedID: String? = nil) async throws(SMTPError) -> SMTPDelivery {
        let messageID = fixedID ?? RandomToken.messageID(domain: message.from.domain)
        let rendered: [UInt8]
        do {
            rendered = try MIMERenderer().render(message, messageID: messageID,
                                                 secondsSince1970: Int64(Date().timeIntervalSince1970))
        } catch {
            throw SMTPError(kind: .invalidMessage, stage: "render", detail: error.description, isTransient: false)
        }
        let reply = try await deliver(rendered, from: message.from, to: message.to,
                                      needsSMTPUTF8: message.needsSMTPUTF8)
        return SMTPDelivery(messageID: messageID, reply: reply)
    }

    /// Sends an already rendered message (CRLF line endings) to the envelope's recipients; returns the reply to DATA.
    public func deliver(_ data: [UInt8], from: EmailAddress, to recipients: [EmailAddress],
                        needsSMTPUTF8: Bool) async throws(SMTPError) -> SMTPReply {
        let tlsContext = try settings.security == .none ? nil : SMTPTLS.makeContext(settings.trust)
        let serverName = SMTPTLS.serverName(for: settings.host)
        let implicitTLS = settings.security == .tls ? tlsContext : nil
        let connected: (NIOAsyncChannel<SMTPReply, ByteBuffer>, EventLoopFuture<Void>?)
        do {
            connected = try await ClientBootstrap(group: group)
                .connectTimeout(TimeAmount(settings.timeouts.connect))
                .connect(host: settings.host, port: settings.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMTPReplyDecoder()))
                        let asyncChannel = try NIOAsyncChannel<SMTPReply, ByteBuffer>(
                            wrappingChannelSynchronously: channel)
                        // Added in front of the decoder, so it sees the bytes first.
                        let handshake = implicitTLS.map {
                            SMTPTLS.addHandler(to: channel, context: $0, serverName: serverName)
                        }
                        return (asyncChannel, handshake)
                    }
                }
        } catch {
            logger.debug("SMTP connect to \(settings.host):\(settings.port) failed: \(error)")
            let detail = "cannot connect to \(settings.host):\(settings.port) (\(error))"
            throw SMTPError(kind: .connection, stage: "connect", detail: detail, isTransient: true)
        }
        let (channel, handshake) = connected
        do {
            return try await channel.executeThenClose { inbound, outbound -> SMTPReply in
                var connection = SMTPConnection(channel: channel.channel, inbound: inbound, outbound: outbound,
                                                logger: logger)
                if let handshake {
                    try await connection.waitForHandshake(handshake, timeout: settings.timeouts.command)
                }
                return try await converse(&connection, data: data, from: from, to: recipients,
                                          needsSMTPUTF8: needsSMTPUTF8, tlsContext: tlsContext,
                                          serverName: serverName)
            }
        } catch let error as SMTPError {
            throw error
        } catch {
            throw SMTPConnection.classify(error, stage: "close")
        }
    }

    /// Greeting, EHLO, STARTTLS, AUTH, MAIL FROM, RCPT TO, DATA, QUIT.
    private func converse(_ connection: inout SMTPConnection, data: [UInt8], from: EmailAddress,
                          to recipients: [EmailAddress], needsSMTPUTF8: Bool, tlsContext: NIOSSLContext?,
                          serverName: String?) async throws(SMTPError) -> SMTPReply {
        let timeouts = settings.timeouts
        let greeting = try await connection.exchange(nil, stage: "greeting", timeout: timeouts.command)
        guard greeting.code == 220 else { throw .rejected(greeting, at: "greeting") }
        var capabilities = try await hello(&connection)
        var encrypted = settings.security == .tls
        if settings.security == .starttls || (settings.security == .opportunistic && capabilities.startTLS) {
            guard capabilities.startTLS, let tlsContext else {
                throw .configuration("the server does not offer STARTTLS, which security=starttls requires",
                                     at: "EHLO")
            }
            let reply = try await connection.exchange("STARTTLS", stage: "STARTTLS", timeout: timeouts.command)
            guard reply.code == 220 else { throw .rejected(reply, at: "STARTTLS") }
            guard !reply.bytesFollowed else {
                throw SMTPError(kind: .protocolViolation, stage: "STARTTLS",
                                detail: "the server sent more after its 220 to STARTTLS (plain-text injection?)",
                                isTransient: true)
            }
            try await connection.startTLS(context: tlsContext, serverName: serverName, timeout: timeouts.command)
            encrypted = true
            // RFC 3207 §4.2: forget what was learned before TLS and ask again.
            capabilities = try await hello(&connection)
        }
        if let username = settings.username, let password = settings.password {
            guard encrypted || settings.allowInsecureAuth else {
                throw .configuration(
                    "refusing to send the password over an unencrypted connection: use security=starttls or tls "
                        + "(allow_insecure_auth=true only for a local test server)", at: "AUTH")
            }
            try await authenticate(&connection, capabilities: capabilities, username: username, password: password)
        }

        var mailFrom = "MAIL FROM:<\(from.address)>"
        if capabilities.size {
            if let limit = capabilities.maxMessageSize, data.count > limit {
                throw SMTPError(kind: .invalidMessage, stage: "MAIL FROM",
                                detail: "the message is \(data.count) bytes; "
                                    + "the server accepts at most \(limit) (SIZE)",
                                isTransient: false)
            }
            mailFrom += " SIZE=\(data.count)"
        }
        if needsSMTPUTF8 {
            guard capabilities.smtpUTF8 else {
                throw .configuration("an address is not ASCII and needs SMTPUTF8, which the server does not offer",
                                     at: "MAIL FROM")
            }
            mailFrom += " SMTPUTF8"
            if capabilities.eightBitMIME { mailFrom += " BODY=8BITMIME" }
        }
        let mailReply = try await connection.exchange(mailFrom, stage: "MAIL FROM", timeout: timeouts.command)
        guard mailReply.code == 250 else { throw .rejected(mailReply, at: "MAIL FROM") }
        for recipient in recipients {
            let reply = try await connection.exchange("RCPT TO:<\(recipient.address)>", stage: "RCPT TO",
                                                      timeout: timeouts.command)
            guard reply.code == 250 || reply.code == 251 else { throw .rejected(reply, at: "RCPT TO") }
        }
        let dataReply = try await connection.exchange("DATA", stage: "DATA", timeout: timeouts.command)
        guard dataReply.code == 354 else { throw .rejected(dataReply, at: "DATA") }
        logger.debug("SMTP >>> (\(data.count) bytes of message)")
        let accepted = try await connection.exchange(bytes: ByteBuffer(bytes: DotStuffing.stuff(data)),
                                                     stage: "end of DATA", timeout: timeouts.dataEnd)
        guard accepted.code == 250 else { throw .rejected(accepted, at: "end of DATA") }
        // The message is accepted; a failed QUIT changes nothing.
        _ = try? await connection.exchange("QUIT", stage: "QUIT", timeout: .seconds(5))
        return accepted
    }

    /// EHLO, or HELO when the server does not know EHLO (500 or 502).
    private func hello(_ connection: inout SMTPConnection) async throws(SMTPError) -> SMTPCapabilities {
        let timeout = settings.timeouts.command
        let reply = try await connection.exchange("EHLO \(settings.heloName)", stage: "EHLO", timeout: timeout)
        if reply.code == 250 { return SMTPCapabilities(ehloReply: reply) }
        guard reply.code == 500 || reply.code == 502 else { throw .rejected(reply, at: "EHLO") }
        let helo = try await connection.exchange("HELO \(settings.heloName)", stage: "HELO", timeout: timeout)
        guard helo.code == 250 else { throw .rejected(helo, at: "HELO") }
        return SMTPCapabilities()
    }

    /// AUTH PLAIN when offered, else AUTH LOGIN (RFC 4954, RFC 4616).
    private func authenticate(_ connection: inout SMTPConnection, capabilities: SMTPCapabilities, username: String,
                              password: String) async throws(SMTPError) {
        let timeout = settings.timeouts.command
        let mechanisms = capabilities.authMechanisms
        var reply: SMTPReply
        if mechanisms.contains("PLAIN") {
            let token = Base64.encode([0] + Array(username.utf8) + [0] + Array(password.utf8))
            reply = try await connection.exchange("AUTH PLAIN \(token)", stage: "AUTH PLAIN", timeout: timeout,
                                                  shown: "AUTH PLAIN ***")
            if reply.code == 334 {  // a server that ignores the initial response asks for it
                reply = try await connection.exchange(token, stage: "AUTH PLAIN", timeout: timeout, shown: "***")
            }
        } else if mechanisms.contains("LOGIN") {
            reply = try await connection.exchange("AUTH LOGIN", stage: "AUTH LOGIN", timeout: timeout)
            if reply.code == 334 {
                reply = try await connection.exchange(Base64.encode(Array(username.utf8)), stage: "AUTH LOGIN",
                                                      timeout: timeout, shown: "***")
            }
            if reply.code == 334 {
                reply = try await connection.exchange(Base64.encode(Array(password.utf8)), stage: "AUTH LOGIN",
                                                      timeout: timeout, shown: "***")
            }
        } else if mechanisms.isEmpty {
            throw .configuration("a user name is set but the server offers no AUTH", at: "AUTH")
        } else {
            throw .configuration("the server offers AUTH \(mechanisms.sorted().joined(separator: " ")), "
                                     + "neither PLAIN nor LOGIN", at: "AUTH")
        }
        guard reply.code != 235 else { return }
        let stage = mechanisms.contains("PLAIN") ? "AUTH PLAIN" : "AUTH LOGIN"
        guard [454, 534, 535].contains(reply.code) else { throw .rejected(reply, at: stage) }
        let detail = reply.code == 454
            ? "temporary authentication failure" : "the server refused the user name or password"
        throw SMTPError(kind: .authenticationFailed, stage: stage, reply: reply, detail: detail,
                        isTransient: reply.code == 454)
    }
}
