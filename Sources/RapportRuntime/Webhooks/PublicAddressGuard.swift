import Foundation
import NIOCore
import NIOPosix
import RapportCore

/// Refuses outbound URLs whose host is, or resolves to, an address that is not on the public internet: loopback,
/// private (RFC 1918, IPv6 unique local), link-local (cloud metadata services live there), carrier-grade NAT,
/// multicast, reserved and unspecified addresses. With `allowPrivate` (`WEBHOOK_ALLOW_PRIVATE_NETWORKS`) every address
/// is allowed. Checked when an endpoint is saved and again before every delivery (a name may change what it resolves
/// to); the HTTP client resolves the name once more itself, so a name that changes in between (DNS rebinding) is not
/// caught: a known limit, recorded in docs/decisions.md.
public struct PublicAddressGuard: OutboundURLGuard {
    let allowPrivate: Bool

    public init(allowPrivate: Bool) { self.allowPrivate = allowPrivate }

    public func check(_ url: URL) async throws {
        guard !allowPrivate else { return }
        guard let host = url.host?.trimmingCharacters(in: CharacterSet(charactersIn: "[]")), !host.isEmpty else {
            throw RapportError.invalid("url", "url has no host.")
        }
        let port = url.port ?? (url.scheme?.lowercased() == "https" ? 443 : 80)
        let addresses: [SocketAddress]
        do {
            addresses = try await NIOThreadPool.singleton.runIfActive { try Self.resolve(host, port: port) }
        } catch {
            throw RapportError(.validation, code: "url_not_resolvable", message: "The host \(host) of url cannot be resolved.",
                               details: ["field": "url"])
        }
        if let refused = addresses.first(where: { !Self.isPublic($0) }) {
            throw RapportError(.validation, code: "url_not_allowed",
                               message: "url leads to \(refused.ipAddress ?? host), which is not a public internet address; Rapport does not send webhooks into private networks unless WEBHOOK_ALLOW_PRIVATE_NETWORKS is set.",
                               details: ["field": "url"])
        }
    }

    /// Every address `host` resolves to (getaddrinfo; an IP literal resolves to itself).
    public static func resolve(_ host: String, port: Int) throws -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let first = result else {
            throw RapportError.invalid("url", "cannot resolve \(host)")
        }
        defer { freeaddrinfo(first) }
        var addresses: [SocketAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            if let address = info.pointee.ai_addr {
                switch Int32(address.pointee.sa_family) {
                case AF_INET:
                    address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { addresses.append(SocketAddress($0.pointee, host: host)) }
                case AF_INET6:
                    address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { addresses.append(SocketAddress($0.pointee, host: host)) }
                default: break
                }
            }
            cursor = info.pointee.ai_next
        }
        return addresses
    }

    /// Whether `address` is a public unicast address.
    public static func isPublic(_ address: SocketAddress) -> Bool {
        switch address {
        case .v4(let v4): return isPublic(v4: withUnsafeBytes(of: v4.address.sin_addr.s_addr) { Array($0) })
        case .v6(let v6): return isPublic(v6: withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) })
        default: return false
        }
    }

    /// `bytes` in network order.
    static func isPublic(v4 bytes: [UInt8]) -> Bool {
        let (a, b) = (bytes[0], bytes[1])
        switch a {
        case 0, 10, 127: return false                  // "this network", private, loopback
        case 100 where (64...127).contains(b): return false  // carrier-grade NAT (RFC 6598)
        case 169 where b == 254: return false           // link-local, cloud metadata
        case 172 where (16...31).contains(b): return false
        case 192 where b == 168: return false
        case 192 where b == 0 && bytes[2] == 0: return false  // IETF protocol assignments
        case 198 where b == 18 || b == 19: return false // benchmarking
        case 224...255: return false                    // multicast, reserved, broadcast
        default: return true
        }
    }

    static func isPublic(v6 bytes: [UInt8]) -> Bool {
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
            return isPublic(v4: Array(bytes[12..<16]))  // IPv4-mapped
        }
        if bytes[0..<15].allSatisfy({ $0 == 0 }) { return false }  // :: and ::1
        if bytes[0] & 0xfe == 0xfc { return false }  // unique local fc00::/7
        if bytes[0] == 0xfe && bytes[1] & 0xc0 == 0x80 { return false }  // link-local fe80::/10
        if bytes[0] == 0xff { return false }  // multicast
        if bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0d && bytes[3] == 0xb8 { return false }  // documentation
        return true
    }
}
