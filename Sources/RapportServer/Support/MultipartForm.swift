import Foundation
import RapportCore

/// A `multipart/form-data` body (RFC 7578), as browsers send a form with a file: its parts, by name.
struct MultipartForm: Sendable {
    struct Part: Sendable {
        let name: String
        let filename: String?
        let bytes: [UInt8]
    }

    /// The most a multipart body may hold; it is read into memory (text/csv bodies are streamed instead).
    static let maxBytes = 64 << 20

    let parts: [Part]

    init(body: [UInt8], contentType: String) throws(RapportError) {
        guard let range = contentType.range(of: "boundary=") else {
            throw RapportError(.badRequest, code: "invalid_multipart", message: "The multipart body has no boundary.")
        }
        let boundary = Array("--".utf8) + Array(String(contentType[range.upperBound...].split(separator: ";")[0])
            .trimmed.trimmingQuotes.utf8)
        let separator: [UInt8] = [13, 10, 13, 10]
        var parts: [Part] = []
        var index = 0
        while let start = Self.find(boundary, in: body, from: index) {
            let headersStart = start + boundary.count
            guard let headersEnd = Self.find(separator, in: body, from: headersStart) else { break }
            let headers = String(decoding: body[headersStart..<headersEnd], as: UTF8.self)
            let contentStart = headersEnd + separator.count
            guard let next = Self.find([13, 10] + boundary, in: body, from: contentStart) else { break }
            let disposition = Self.disposition(headers)
            parts.append(Part(name: disposition["name"] ?? "", filename: disposition["filename"],
                              bytes: Array(body[contentStart..<next])))
            index = next + 2
        }
        guard !parts.isEmpty else {
            throw RapportError(.badRequest, code: "invalid_multipart", message: "The multipart body has no parts.")
        }
        self.parts = parts
    }

    /// The value of a plain (non-file) field.
    subscript(_ name: String) -> String? {
        parts.first { $0.name == name && $0.filename == nil }.map { String(decoding: $0.bytes, as: UTF8.self) }
    }

    /// The first file part (or the part named `file`).
    func firstFile() throws(RapportError) -> [UInt8] {
        guard let part = parts.first(where: { $0.filename != nil || $0.name == "file" }) else {
            throw RapportError(.badRequest, code: "invalid_multipart", message: "The multipart body has no file part.")
        }
        return part.bytes
    }

    /// The parameters of the part's `Content-Disposition: form-data; name="…"; filename="…"` header.
    static func disposition(_ headers: String) -> [String: String] {
        var values: [String: String] = [:]
        for line in headers.split(whereSeparator: \.isNewline) {
            let header = line.split(separator: ":", maxSplits: 1)
            guard header.count == 2, String(header[0]).trimmed.lowercased() == "content-disposition" else { continue }
            for parameter in header[1].split(separator: ";").dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1)
                guard pair.count == 2 else { continue }
                values[String(pair[0]).trimmed.lowercased()] = String(pair[1]).trimmed.trimmingQuotes
            }
        }
        return values
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        return haystack.withUnsafeBufferPointer { bytes in
            needle.withUnsafeBufferPointer { pattern in
                var i = start
                let last = bytes.count - pattern.count
                while i <= last {
                    if bytes[i] == pattern[0] {
                        var j = 1
                        while j < pattern.count, bytes[i + j] == pattern[j] { j += 1 }
                        if j == pattern.count { return i }
                    }
                    i += 1
                }
                return nil
            }
        }
    }
}

/// One chunk as an async sequence.
struct SingleChunk: AsyncSequence, Sendable {
    let bytes: [UInt8]
    struct AsyncIterator: AsyncIteratorProtocol {
        var bytes: [UInt8]?
        mutating func next() async -> [UInt8]? {
            defer { bytes = nil }
            return bytes
        }
    }
    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(bytes: bytes) }
}

private extension StringProtocol {
    var trimmingQuotes: String {
        var text = String(self)
        if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") { text = String(text.dropFirst().dropLast()) }
        return text
    }
}
