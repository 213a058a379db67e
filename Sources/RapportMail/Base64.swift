/// Base64 (RFC 4648 §4), optionally broken into CRLF lines for a MIME body (RFC 2045 §6.8: at most 76 characters).
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: some Collection<UInt8>, lineLength: Int? = nil) -> String {
        let bytes = Array(bytes)
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let b0 = bytes[index]
            let b1 = index + 1 < bytes.count ? bytes[index + 1] : 0
            let b2 = index + 2 < bytes.count ? bytes[index + 2] : 0
            output.append(alphabet[Int(b0 >> 2)])
            output.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            output.append(index + 1 < bytes.count ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : 0x3D)
            output.append(index + 2 < bytes.count ? alphabet[Int(b2 & 0x3F)] : 0x3D)
            index += 3
        }
        guard let lineLength, output.count > lineLength else { return String(decoding: output, as: UTF8.self) }
        var lines: [UInt8] = []
        for (offset, byte) in output.enumerated() {
            if offset > 0, offset % lineLength == 0 { lines.append(contentsOf: [0x0D, 0x0A]) }
            lines.append(byte)
        }
        return String(decoding: lines, as: UTF8.self)
    }
}
