import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A lean HTTP/1.1 client for the load side of the benchmark: one keep-alive TCP connection (TCP_NODELAY, as
/// production clients set) on blocking sockets, run on its own thread. It costs the 2-core machine far less CPU
/// than URLSession (libcurl and dispatch threads took about a third of the samples in a profile), so the server
/// being measured is not starved by the load generator.
final class KeepAliveClient {
    struct Failure: Error, CustomStringConvertible { let description: String }

    private let fd: Int32
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    private var pending: [UInt8] = []

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(fd); throw Failure(description: "connect() failed: \(errno)") }
    }

    deinit { close(fd) }

    /// Sends one request and reads the whole answer; returns its status and body.
    func send(method: String, path: String, headers: [(String, String)], body: [UInt8]) throws -> (status: Int, body: [UInt8]) {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        try write(Array(head.utf8) + body)
        // Status line and headers.
        var headerEnd: Int?
        while headerEnd == nil {
            headerEnd = Self.find([13, 10, 13, 10], in: pending)
            if headerEnd == nil { try fill() }
        }
        let headerText = String(decoding: pending[..<headerEnd!], as: UTF8.self)
        pending.removeFirst(headerEnd! + 4)
        let lines = headerText.split(separator: "\r\n")
        guard let statusLine = lines.first, let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") else {
            throw Failure(description: "bad status line: \(headerText)")
        }
        var length = 0
        for line in lines.dropFirst() where line.lowercased().hasPrefix("content-length:") {
            length = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0
        }
        while pending.count < length { try fill() }
        let answer = Array(pending[..<length])
        pending.removeFirst(length)
        return (status, answer)
    }

    private func write(_ bytes: [UInt8]) throws {
        var offset = 0
        try bytes.withUnsafeBytes { raw in
            while offset < raw.count {
                let written = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                guard written > 0 else { throw Failure(description: "write() failed: \(errno)") }
                offset += written
            }
        }
    }

    private func fill() throws {
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        guard count > 0 else { throw Failure(description: "connection closed") }
        pending.append(contentsOf: buffer[..<count])
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] && Array(haystack[i..<i + needle.count]) == needle {
            return i
        }
        return nil
    }

    /// `send` from async code: on a serial dispatch queue, so the blocking read never holds a cooperative thread.
    func request(_ method: String, _ path: String, headers: [(String, String)], body: [UInt8] = [],
                 on queue: DispatchQueue) async throws -> (status: Int, body: [UInt8]) {
        nonisolated(unsafe) let client = self
        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                do { continuation.resume(returning: try client.send(method: method, path: path, headers: headers, body: body)) }
                catch { continuation.resume(throwing: error) }
            }
        }
    }

    /// Runs `body` on `count` dedicated threads (blocking sockets must not block Swift's cooperative pool) and
    /// returns when all have finished; rethrows the first error.
    static func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<count {
                group.addTask {
                    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                        let thread = Thread {
                            do { try body(worker); continuation.resume() } catch { continuation.resume(throwing: error) }
                        }
                        thread.start()
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}
