import CompressNIO
import NIOCore
import RapportCore

/// Undoes a request's `Content-Encoding` (RFC 9110 §8.4.1): `gzip` (RFC 1952, also `x-gzip`), `deflate` (the zlib
/// format of RFC 1950, as RFC 9110 defines it; raw DEFLATE too, which some clients send and browsers accept) and
/// `identity`. A stream that is cut short, has bytes after its end or fails its checksum is `invalid_encoding`:
/// zlib itself stops quietly at the end of its input, so the trailer's CRC-32 / Adler-32 is checked here.
enum ContentDecoding {
    static func decode(_ body: ByteBuffer, contentEncoding header: String?, limit: Int) throws(RapportError) -> ByteBuffer {
        let codings = (header ?? "").split(separator: ",").map { String($0).trimmed.lowercased() }.filter { $0 != "identity" && !$0.isEmpty }
        guard let coding = codings.first else { return body }
        guard codings.count == 1 else {
            throw RapportError(.unsupportedMediaType, code: "unsupported_media_type",
                               message: "Send the body with one Content-Encoding (gzip or deflate), not several.")
        }
        switch coding {
        case "gzip", "x-gzip": return try gunzip(body, limit: limit)
        case "deflate": return try inflate(body, limit: limit)
        default:
            throw RapportError(.unsupportedMediaType, code: "unsupported_media_type",
                               message: "Content-Encoding \(coding) is not supported; use gzip, deflate or none.")
        }
    }

    static func gunzip(_ body: ByteBuffer, limit: Int) throws(RapportError) -> ByteBuffer {
        let bytes = body.readableBytesView
        guard bytes.count >= 18, bytes.first == 0x1F, bytes.dropFirst().first == 0x8B else {
            throw invalid("gzip", "it does not start with a gzip header")
        }
        let output = try decompress(body, algorithm: .gzip(), coding: "gzip", limit: limit)
        // The trailer: CRC-32 of the data, then its length modulo 2^32, both little-endian (RFC 1952 §2.3.1).
        let trailer = Array(bytes.suffix(8))
        let crc = trailer[0..<4].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let size = trailer[4..<8].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard size == UInt32(truncatingIfNeeded: output.readableBytes), crc == Checksum.crc32(output.readableBytesView) else {
            throw invalid("gzip", "the stream is cut short or damaged")
        }
        return output
    }

    static func inflate(_ body: ByteBuffer, limit: Int) throws(RapportError) -> ByteBuffer {
        let bytes = Array(body.readableBytesView.prefix(2))
        // A zlib header: compression method 8, window ≤ 32 KiB, and the two bytes a multiple of 31 (RFC 1950 §2.2).
        let isZlib = bytes.count == 2 && bytes[0] & 0x0F == 8 && bytes[0] >> 4 <= 7 && (UInt16(bytes[0]) << 8 | UInt16(bytes[1])) % 31 == 0
        guard isZlib else { return try decompress(body, algorithm: .deflate(), coding: "deflate", limit: limit) }
        guard body.readableBytes >= 6 else { throw invalid("deflate", "the stream is cut short") }
        let output = try decompress(body, algorithm: .zlib(), coding: "deflate", limit: limit)
        let adler = body.readableBytesView.suffix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard adler == Checksum.adler32(output.readableBytesView) else {
            throw invalid("deflate", "the stream is cut short or damaged")
        }
        return output
    }

    private static func decompress(_ body: ByteBuffer, algorithm: CompressionAlgorithm, coding: String,
                                   limit: Int) throws(RapportError) -> ByteBuffer {
        var input = body
        let output: ByteBuffer
        do {
            output = try input.decompress(with: algorithm, maxSize: limit + 1)
        } catch let error as CompressNIOError where error == .bufferOverflow {
            throw RapportError.payloadTooLarge(limit: limit)
        } catch {
            throw invalid(coding, "it cannot be decompressed")
        }
        guard output.readableBytes <= limit else { throw RapportError.payloadTooLarge(limit: limit) }
        // zlib stops at the end of the stream: anything left is not part of it.
        guard input.readableBytes == 0 else {
            throw invalid(coding, "it has bytes after the end of the compressed stream")
        }
        return output
    }

    private static func invalid(_ coding: String, _ reason: String) -> RapportError {
        RapportError(.badRequest, code: "invalid_encoding", message: "The body is not valid \(coding) data: \(reason).")
    }
}

/// The checksums of the gzip and zlib trailers.
enum Checksum {
    private static let crcTable: [UInt32] = (0..<256).map { n in
        (0..<8).reduce(UInt32(n)) { c, _ in c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    }

    /// CRC-32 (ISO 3309 / ITU-T V.42, reflected polynomial 0xEDB88320), as gzip uses it.
    static func crc32(_ bytes: some Sequence<UInt8>) -> UInt32 {
        let table = crcTable
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    /// Adler-32 (RFC 1950 §8.2).
    static func adler32(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        var pending = 0
        for byte in bytes {
            a += UInt32(byte)
            b += a
            pending += 1
            // 5552 is the most bytes before b can overflow 32 bits (zlib's NMAX).
            if pending == 5552 { a %= 65521; b %= 65521; pending = 0 }
        }
        return (b % 65521) << 16 | (a % 65521)
    }
}
