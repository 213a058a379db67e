import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import RapportCore
import RapportRuntime
@testable import RapportServer
import Testing

/// How request bodies are read: content codings, limits and the headers every answer carries.
@Suite("Request bodies and response headers")
struct RequestBodyTests {
    static let batch = try! JSONSerialization.data(withJSONObject: [
        "batch": [["type": "track", "anonymousId": "coded", "event": "Compressed"]],
    ])

    static func send(_ ws: TrackingTests.Workspace, _ body: [UInt8], encoding: String) async throws -> TestHTTP.Reply {
        var headers = TrackingTests.basic(ws.trackKey)
        headers[.contentEncoding] = encoding
        let response = try await ws.http.client.execute(uri: "/v1/batch", method: .post, headers: headers,
                                                        body: ByteBuffer(bytes: body))
        return TestHTTP.Reply(status: response.status, headers: response.headers, text: String(buffer: response.body))
    }

    @Test func deflateAcceptsTheZlibFormatOfRFC9110AndRawDeflate() async throws {
        try await TrackingTests.run { ws, _ in
            let zlib = try await Self.send(ws, try Gzip.zlib(Array(Self.batch)), encoding: "deflate")
            #expect(zlib.status == .ok, "\(zlib.text)")
            #expect(zlib.json["stored"] as? Int == 1)
            let raw = try await Self.send(ws, try Gzip.rawDeflate(Array(Self.batch)), encoding: "deflate")
            #expect(raw.status == .ok, "\(raw.text)")
            let upper = try await Self.send(ws, try Gzip.compress(Array(Self.batch)), encoding: "GZIP")
            #expect(upper.status == .ok, "\(upper.text)")
            #expect(try await ws.customers(search: "coded").count == 1)
        }
    }

    @Test(arguments: ["garbage after header", "cut short", "bytes after the end", "damaged checksum", "zlib cut short"])
    func brokenCompressedBodiesAreInvalidEncoding(_ damage: String) async throws {
        try await TrackingTests.run { ws, _ in
            let gzip = try Gzip.compress(Array(Self.batch))
            let body: [UInt8]
            var encoding = "gzip"
            switch damage {
            case "garbage after header": body = Array(gzip.prefix(10)) + Array("this is not deflate data at all".utf8)
            case "cut short": body = Array(gzip.dropLast(12))
            case "bytes after the end": body = gzip + Array("junk".utf8)
            case "damaged checksum": body = Array(gzip.dropLast(8)) + [0, 0, 0, 0] + Array(gzip.suffix(4))
            default:
                body = Array(try Gzip.zlib(Array(Self.batch)).dropLast(6))
                encoding = "deflate"
            }
            let reply = try await Self.send(ws, body, encoding: encoding)
            #expect(reply.status == .badRequest)
            #expect(reply.errorCode == "invalid_encoding", "\(reply.text)")
            #expect(try await ws.http.get("/api/v1/customers", key: ws.fixture.adminKey).data.isEmpty)
        }
    }

    @Test func unknownOrStackedCodingsAreUnsupportedMediaType() async throws {
        try await TrackingTests.run { ws, _ in
            let br = try await Self.send(ws, Array(Self.batch), encoding: "br")
            #expect(br.status == .unsupportedMediaType)
            let twice = try await Self.send(ws, try Gzip.compress(try Gzip.compress(Array(Self.batch))), encoding: "gzip, gzip")
            #expect(twice.status == .unsupportedMediaType)
            let identity = try await Self.send(ws, Array(Self.batch), encoding: "identity")
            #expect(identity.status == .ok)
        }
    }

    @Test func restBodiesMayBeCompressedToo() async throws {
        try await TestApp.run { http, services in
            let fixture = try await Fixture.make(services)
            let json = try JSONSerialization.data(withJSONObject: ["traits": ["email": "zipped@example.com", "name": "Zed"]])
            let response = try await http.client.execute(
                uri: "/api/v1/customers", method: .post,
                headers: [.authorization: "Bearer \(fixture.adminKey)", .contentType: "application/json", .contentEncoding: "gzip"],
                body: ByteBuffer(bytes: try Gzip.compress(Array(json))))
            #expect(response.status == .created, "\(String(buffer: response.body))")
        }
    }

    /// Reference values: CRC-32 check value of "123456789" (the catalogue of parametrised CRC algorithms, CRC-32/ISO-HDLC)
    /// and Adler-32 of "Wikipedia" (RFC 1950's algorithm; the worked example on Wikipedia's Adler-32 page).
    @Test func checksumsMatchTheirReferenceValues() {
        #expect(Checksum.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(Checksum.crc32([UInt8]()) == 0)
        #expect(Checksum.adler32(Array("Wikipedia".utf8)) == 0x11E6_0398)
        #expect(Checksum.adler32([UInt8]()) == 1)
        // Past zlib's NMAX, where the sums must be reduced before they overflow.
        let long = [UInt8](repeating: 0xFF, count: 100_000)
        var a: UInt64 = 1, b: UInt64 = 0
        for byte in long { a = (a + UInt64(byte)) % 65521; b = (b + a) % 65521 }
        #expect(Checksum.adler32(long) == UInt32(b << 16 | a))
    }

    @Test func pagesCannotBeFramedOrSniffedAndTheAPIIsLockedDown() async throws {
        try await TestApp.run { http, services in
            let fixture = try await Fixture.make(services)
            let page = try await http.get("/login", headers: [.accept: "text/html"])
            #expect(page.status == .ok)
            let policy = try #require(page.headers[.contentSecurityPolicy])
            #expect(policy.contains("frame-ancestors 'none'"))
            #expect(policy.contains("script-src 'self'"))
            #expect(policy.contains("object-src 'none'"))
            #expect(page.headers[.xContentTypeOptions] == "nosniff")
            #expect(page.headers[SecurityHeadersMiddleware.xFrameOptions] == "DENY")
            #expect(page.headers[SecurityHeadersMiddleware.referrerPolicy] == "same-origin")
            #expect(page.headers[.cacheControl] == "no-store")
            #expect(page.headers[.strictTransportSecurity] == nil, "HSTS only behind HTTPS (COOKIE_SECURE)")

            let api = try await http.get("/api/v1/customers", key: fixture.adminKey)
            #expect(api.headers[.xContentTypeOptions] == "nosniff")
            #expect(api.headers[.contentSecurityPolicy] == "default-src 'none'; frame-ancestors 'none'")
            let missing = try await http.get("/api/v1/customers/nope", key: fixture.adminKey)
            #expect(missing.headers[.xContentTypeOptions] == "nosniff", "error answers carry the headers too")

            let script = try await http.get("/rapport.js")
            #expect(script.headers[.xContentTypeOptions] == "nosniff")
            #expect(script.headers[.crossOriginResourcePolicy] == nil, "any site may load the tracking script")
        }
        try await TestApp.run(configure: { $0.cookieSecure = true }) { http, _ in
            let page = try await http.get("/login", headers: [.accept: "text/html"])
            #expect(page.headers[.strictTransportSecurity]?.hasPrefix("max-age=") == true)
        }
    }
}
