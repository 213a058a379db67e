/// Quoted-printable content transfer encoding (RFC 2045 §6.7).
enum QuotedPrintable {
    /// Encodes text whose line breaks are CRLF: printable ASCII but `=` stays as is (rule 2), every other byte becomes
    /// `=XX` with upper-case hex (rule 1), a space or tab at the end of a line is encoded (rule 3), CRLF stays a hard
    /// line break (rule 4), and soft line breaks (`=` CRLF) keep every encoded line at 76 characters or fewer (rule 5)
    /// without splitting an `=XX` triplet.
    static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + bytes.count / 8)
        var lineLength = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x0D, index + 1 < bytes.count, bytes[index + 1] == 0x0A {
                output.append(contentsOf: [0x0D, 0x0A])
                lineLength = 0
                index += 2
                continue
            }
            let atLineEnd = index + 1 == bytes.count
                || (bytes[index + 1] == 0x0D && index + 2 < bytes.count && bytes[index + 2] == 0x0A)
            let literal = (byte >= 33 && byte <= 126 && byte != 0x3D) || ((byte == 0x20 || byte == 0x09) && !atLineEnd)
            let piece: [UInt8] = literal ? [byte] : escape(byte)
            // A line may hold 76 characters; a soft break needs one of them for its "=", except on the line's last
            // piece, which may use the full 76.
            let limit = atLineEnd ? 76 : 75
            if lineLength + piece.count > limit {
                output.append(contentsOf: [0x3D, 0x0D, 0x0A])
                lineLength = 0
            }
            output.append(contentsOf: piece)
            lineLength += piece.count
            index += 1
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static let hex = Array("0123456789ABCDEF".utf8)

    private static func escape(_ byte: UInt8) -> [UInt8] {
        [0x3D, hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
    }
}
