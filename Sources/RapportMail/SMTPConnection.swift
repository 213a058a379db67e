import Logging
import NIOCore
import NIOSSL
import Synchronization

/// One open connection to an SMTP server: writes commands and reads replies, each under a deadline. A deadline that
/// passes closes the channel, which ends the pending read; the error then says it was the deadline.
struct SMTPConnection {
    let channel: any Channel
    private var inbound: NIOAsyncChannelInboundStream<SMTPReply>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    let logger: Logger

    init(channel: any Channel, inbound: NIOAsyncChannelInboundStream<SMTPReply>,
         outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, logger: Logger) {
        self.channel = channel
        self.inbound = inbound.makeAsyncIterator()
        self.outbound = outbound
        self.logger = logger
    }

    /// Sends `command` (without CRLF; nothing when nil) and reads the reply, within `timeout` for both.
    /// `shown` replaces the command in logs (credentials are never logged).
    mutating func exchange(_ command: String?, stage: String, timeout: Duration, shown: String? = nil)
        async throws(SMTPError) -> SMTPReply
    {
        if let command {
            logger.debug("SMTP >>> \(shown ?? command)")
            return try await exchange(bytes: ByteBuffer(string: command + "\r\n"), stage: stage, timeout: timeout)
        }
        return try await exchange(bytes: nil, stage: stage, timeout: timeout)
    }

    mutating func exchange(bytes: ByteBuffer?, stage: String, timeout: Duration) async throws(SMTPError) -> SMTPReply {
        let deadline = Deadline(channel: channel, after: timeout)
        defer { deadline.cancel() }
        do {
            if let bytes { try await outbound.write(bytes) }
            guard let reply = try await inbound.next() else {
                throw deadline.passed ? Self.timeout(stage, timeout)
                    : SMTPError(kind: .connection, stage: stage, detail: "the server closed the connection",
                                isTransient: true)
            }
            logger.debug("SMTP <<< \(reply)")
            return reply
        } catch let error as SMTPError {
            throw error
        } catch {
            throw deadline.passed ? Self.timeout(stage, timeout) : Self.classify(error, stage: stage)
        }
    }

    /// Starts TLS on the open connection (after the server's 220 to STARTTLS) and waits for the handshake.
    func startTLS(context: NIOSSLContext, serverName: String?, timeout: Duration) async throws(SMTPError) {
        let deadline = Deadline(channel: channel, after: timeout)
        defer { deadline.cancel() }
        do {
            try await SMTPTLS.addHandler(to: channel, context: context, serverName: serverName).get()
        } catch {
            throw deadline.passed
                ? Self.timeout("TLS handshake", timeout) : Self.classify(error, stage: "TLS handshake")
        }
    }

    /// Waits for the handshake of a connection that started with TLS (implicit TLS).
    func waitForHandshake(_ handshake: EventLoopFuture<Void>, timeout: Duration) async throws(SMTPError) {
        let deadline = Deadline(channel: channel, after: timeout)
        defer { deadline.cancel() }
        do {
            try await handshake.get()
        } catch {
            throw deadline.passed
                ? Self.timeout("TLS handshake", timeout) : Self.classify(error, stage: "TLS handshake")
        }
    }

    static func timeout(_ stage: String, _ timeout: Duration) -> SMTPError {
        SMTPError(kind: .timeout, stage: stage, detail: "no answer within \(timeout.components.seconds) s",
                  isTransient: true)
    }

    /// Sorts a transport error: a certificate that does not verify is permanent (retrying will not fix it), other TLS,
    /// socket and connection errors are transient.
    static func classify(_ error: any Error, stage: String) -> SMTPError {
        let text = String(describing: error)
        switch error {
        case let problem as SMTPReplyParser.Problem:
            return SMTPError(kind: .protocolViolation, stage: stage, detail: problem.description, isTransient: true)
        case is NIOSSLError, is BoringSSLError, is NIOSSLExtraError:
            let certificate = ["CERTIFICATE_VERIFY_FAILED", "failedToValidateHostname", "unableToValidateCertificate",
                               "serverHostnameImpossibleToMatch"].contains { text.contains($0) }
            return SMTPError(
                kind: .tls, stage: stage,
                detail: certificate
                    ? "the server's certificate did not verify (\(text)); for a private CA set ca_file" : text,
                isTransient: !certificate)
        default:
            return SMTPError(kind: .connection, stage: stage, detail: text, isTransient: true)
        }
    }
}

/// Closes the channel when the time is up, unless cancelled first.
private struct Deadline {
    private let fired: Flag
    private let task: Scheduled<Void>

    init(channel: any Channel, after timeout: Duration) {
        let fired = Flag()
        self.fired = fired
        task = channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            fired.set()
            channel.close(promise: nil)
        }
    }

    var passed: Bool { fired.isSet }

    func cancel() { task.cancel() }

    final class Flag: Sendable {
        private let value = Atomic<Bool>(false)
        func set() { value.store(true, ordering: .relaxed) }
        var isSet: Bool { value.load(ordering: .relaxed) }
    }
}
