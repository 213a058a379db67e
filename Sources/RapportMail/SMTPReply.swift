/// One SMTP reply (RFC 5321 §4.2): a three-digit code and one or more lines of text.
public struct SMTPReply: Sendable, Equatable, CustomStringConvertible {
    public let code: Int
    /// The text of each line, without the code and separator.
    public let lines: [String]

    /// Whether more bytes had arrived after this reply when it was read. After the `220` to STARTTLS that means
    /// plain text was injected before the handshake (RFC 3207 §5; CVE-2011-0411), and the client stops.
    let bytesFollowed: Bool

    public init(code: Int, lines: [String]) {
        self.init(code: code, lines: lines, bytesFollowed: false)
    }

    init(code: Int, lines: [String], bytesFollowed: Bool) {
        self.code = code
        self.lines = lines
        self.bytesFollowed = bytesFollowed
    }

    public static func == (lhs: SMTPReply, rhs: SMTPReply) -> Bool { lhs.code == rhs.code && lhs.lines == rhs.lines }

    public var isPositiveCompletion: Bool { (200..<300).contains(code) }
    public var isPositiveIntermediate: Bool { (300..<400).contains(code) }
    public var isTransientFailure: Bool { (400..<500).contains(code) }
    public var isPermanentFailure: Bool { (500..<600).contains(code) }

    /// The text of all lines, joined by spaces.
    public var text: String { lines.joined(separator: " ") }

    /// `250 2.0.0 Ok: queued as 4Hx…`, the lines joined by spaces.
    public var description: String { text.isEmpty ? String(code) : "\(code) \(text)" }
}

/// Assembles replies from lines: `250-first`, `250-second`, `250 last` make one reply (RFC 5321 §4.2.1).
struct SMTPReplyParser {
    private var code: Int?
    private var lines: [String] = []

    enum Problem: Error, Equatable, CustomStringConvertible {
        case malformedLine(String)
        case codeChanged(expected: Int, got: Int)
        case tooManyLines

        var description: String {
            switch self {
            case .malformedLine(let line): "malformed reply line \(String(line.prefix(80)).debugDescription)"
            case .codeChanged(let expected, let got): "reply code changed from \(expected) to \(got) within one reply"
            case .tooManyLines: "reply has more than \(SMTPReplyParser.maxLines) lines"
            }
        }
    }

    static let maxLines = 1000

    /// Feeds one line (without its CRLF); returns the reply when this line completes it.
    mutating func feed(_ line: String) throws(Problem) -> SMTPReply? {
        let utf8 = Array(line.utf8)
        guard utf8.count >= 3, utf8[0...2].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let lineCode = Int(String(decoding: utf8[0...2], as: UTF8.self)), (200...599).contains(lineCode)
        else { throw .malformedLine(line) }
        let separator = utf8.count > 3 ? utf8[3] : 0x20
        guard separator == 0x20 || separator == 0x2D else { throw .malformedLine(line) }
        if let code, code != lineCode { throw .codeChanged(expected: code, got: lineCode) }
        code = lineCode
        lines.append(utf8.count > 4 ? String(decoding: utf8[4...], as: UTF8.self) : "")
        guard lines.count <= Self.maxLines else { throw .tooManyLines }
        guard separator == 0x20 else { return nil }
        let reply = SMTPReply(code: lineCode, lines: lines)
        self.code = nil
        lines = []
        return reply
    }
}
