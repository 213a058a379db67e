import Hummingbird
import RapportCore

/// Refuses a query string whose parameters, once percent-decoded, are not UTF-8 text or hold U+0000, with
/// `400 invalid_parameter` naming the parameter. Hummingbird's decoding replaces invalid bytes with U+FFFD (two
/// different values would read the same) and passes `%00` through, which PostgreSQL cannot store or compare
/// (SQLSTATE 22021). One check here covers every route, API and pages alike.
struct QueryParameterMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let query = request.uri.query, let name = Self.firstInvalidParameter(query) {
            throw RapportError(.badRequest, code: "invalid_parameter",
                               message: "\(name) must be UTF-8 text without NUL characters (U+0000).", details: ["field": name])
        }
        return try await next(request, context)
    }

    /// The name of the first parameter whose name or value does not decode to UTF-8 text without U+0000, or nil.
    static func firstInvalidParameter(_ query: String) -> String? {
        // Only percent-encoding can bring such bytes in: the request line itself holds no NUL and arrives as text.
        guard query.utf8.contains(UInt8(ascii: "%")) else { return nil }
        for pair in query.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = PercentDecoding.text(parts[0], plusAsSpace: false)
            guard let name else { return String(decoding: parts[0], as: UTF8.self) }
            if parts.count > 1, PercentDecoding.text(parts[1], plusAsSpace: false) == nil { return name }
        }
        return nil
    }
}

/// Percent-decoding (RFC 3986 §2.1) that refuses what cannot be text instead of repairing it.
enum PercentDecoding {
    /// The decoded text: nil when the bytes are not UTF-8 or hold U+0000. A `%` not followed by two hex digits
    /// is kept as it is; `+` becomes a space when `plusAsSpace` (HTML forms, `application/x-www-form-urlencoded`).
    static func text(_ encoded: some Collection<UInt8>, plusAsSpace: Bool) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(encoded.count)
        var index = encoded.startIndex
        while index != encoded.endIndex {
            let byte = encoded[index]
            let next = encoded.index(after: index)
            if byte == UInt8(ascii: "%"), next != encoded.endIndex, encoded.index(after: next) != encoded.endIndex,
               let high = hex(encoded[next]), let low = hex(encoded[encoded.index(after: next)]) {
                bytes.append(high << 4 | low)
                index = encoded.index(index, offsetBy: 3)
                continue
            }
            bytes.append(plusAsSpace && byte == UInt8(ascii: "+") ? 0x20 : byte)
            index = next
        }
        guard !bytes.contains(0) else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x41...0x46: c - 0x41 + 10
        case 0x61...0x66: c - 0x61 + 10
        default: nil
        }
    }
}
