import CompressNIO
import NIOCore

/// Compressed request bodies, made by zlib as clients make them.
enum Gzip {
    static func compress(_ bytes: [UInt8]) throws -> [UInt8] { try compress(bytes, with: .gzip()) }

    /// zlib format (RFC 1950): what RFC 9110 calls `deflate`.
    static func zlib(_ bytes: [UInt8]) throws -> [UInt8] { try compress(bytes, with: .zlib()) }

    /// Raw DEFLATE (RFC 1951), which some clients send as `deflate`.
    static func rawDeflate(_ bytes: [UInt8]) throws -> [UInt8] { try compress(bytes, with: .deflate()) }

    private static func compress(_ bytes: [UInt8], with algorithm: CompressionAlgorithm) throws -> [UInt8] {
        var buffer = ByteBuffer(bytes: bytes)
        return Array(try buffer.compress(with: algorithm).readableBytesView)
    }
}
