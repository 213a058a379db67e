/// The DATA section's transparency (RFC 5321 §4.5.2): a line that starts with "." gets a second ".", and the data ends
/// with CRLF "." CRLF.
enum DotStuffing {
    /// `message` must use CRLF line endings; a missing final CRLF is added before the terminating ".".
    static func stuff(_ message: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(message.count + message.count / 64 + 5)
        var atLineStart = true
        for byte in message {
            if atLineStart, byte == 0x2E { output.append(0x2E) }
            output.append(byte)
            atLineStart = byte == 0x0A
        }
        if !output.isEmpty, !(output.count >= 2 && output[output.count - 2] == 0x0D && output.last == 0x0A) {
            output.append(contentsOf: [0x0D, 0x0A])
        }
        output.append(contentsOf: [0x2E, 0x0D, 0x0A])
        return output
    }
}
