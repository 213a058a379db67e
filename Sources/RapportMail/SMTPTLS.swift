import NIOCore
import NIOSSL
import NIOTLS

/// TLS for SMTP: the client context from the settings' trust, and a handler that reports the end of the handshake.
enum SMTPTLS {
    static func makeContext(_ trust: SMTPSettings.Trust) throws(SMTPError) -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        switch trust {
        case .system:
            break
        case .caFile(let path):
            do {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(path))
            } catch {
                throw .configuration("cannot read the CA certificate file \(path) as PEM (\(error))", at: "TLS setup")
            }
        case .insecureNoVerification:
            configuration.certificateVerification = .none
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw .configuration("cannot set up TLS (\(error))", at: "TLS setup")
        }
    }

    /// The name to send as SNI and check the certificate against; `nil` for an IP address, which NIOSSL then checks
    /// against the certificate's IP address entries.
    static func serverName(for host: String) -> String? {
        let isIPv4 = host.split(separator: ".", omittingEmptySubsequences: false).count == 4
            && host.allSatisfy { $0 == "." || $0.isASCII && $0.isNumber }
        return isIPv4 || host.contains(":") ? nil : host
    }

    /// Adds the TLS client handler in front of the pipeline (below the reply decoder), on the channel's event loop.
    /// The returned future completes when the handshake does.
    static func addHandler(to channel: any Channel, context: NIOSSLContext, serverName: String?)
        -> EventLoopFuture<Void>
    {
        channel.eventLoop.flatSubmit {
            let promise = channel.eventLoop.makePromise(of: Void.self)
            do {
                try channel.pipeline.syncOperations.addHandler(HandshakeWaiter(promise), position: .first)
                try channel.pipeline.syncOperations.addHandler(
                    NIOSSLClientHandler(context: context, serverHostname: serverName), position: .first)
            } catch {
                promise.fail(error)
            }
            return promise.futureResult
        }
    }

    /// Completes its promise when the TLS handshake completes, or fails it with the first error or the close.
    final class HandshakeWaiter: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        private var promise: EventLoopPromise<Void>?

        init(_ promise: EventLoopPromise<Void>) { self.promise = promise }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
                promise?.succeed(())
                promise = nil
            }
            context.fireUserInboundEventTriggered(event)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            promise?.fail(error)
            promise = nil
            context.fireErrorCaught(error)
        }

        func channelInactive(context: ChannelHandlerContext) {
            promise?.fail(ChannelError.eof)
            promise = nil
            context.fireChannelInactive()
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            promise?.fail(ChannelError.ioOnClosedChannel)
            promise = nil
        }
    }
}
