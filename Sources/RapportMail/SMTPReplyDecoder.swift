import NIOCore

/// Splits the server's bytes into lines (CRLF, or a bare LF) and assembles them into ``SMTPReply`` values.
struct SMTPReplyDecoder: ByteToMessageDecoder {
    typealias InboundOut = SMTPReply

    /// RFC 5321 §4.5.3.1.5 allows 512 octets per reply line; a little slack for servers that exceed it.
    static let maxLineLength = 4096

    private var parser = SMTPReplyParser()

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: 0x0A) else {
            if buffer.readableBytes > Self.maxLineLength {
                throw SMTPReplyParser.Problem.malformedLine("(line too long)")
            }
            return .needMoreData
        }
        let length = newline - buffer.readerIndex
        var line = buffer.readBytes(length: length)!
        buffer.moveReaderIndex(forwardBy: 1)
        if line.last == 0x0D { line.removeLast() }
        if let reply = try parser.feed(String(decoding: line, as: UTF8.self)) {
            let reply = SMTPReply(code: reply.code, lines: reply.lines, bytesFollowed: buffer.readableBytes > 0)
            context.fireChannelRead(wrapInboundOut(reply))
        }
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}
