/// Where and how to submit mail: server, transport security, credentials, default sender and timeouts.
/// Read from a URL: `smtp://user:pass@host:587?security=starttls`, `smtps://user:pass@host` (implicit TLS, port 465).
public struct SMTPSettings: Sendable, Equatable {
    /// How the connection is protected.
    public enum Security: String, Sendable, CaseIterable {
        /// Plain text throughout; STARTTLS is not used even when offered.
        case none
        /// STARTTLS when the server offers it, plain text otherwise (a certificate that fails verification still
        /// fails the send).
        case opportunistic
        /// STARTTLS, and fail when the server does not offer it (the default for `smtp://`).
        case starttls
        /// TLS from the first byte (RFC 8314 implicit TLS, port 465; the default for `smtps://`).
        case tls
    }

    /// Which certificates a TLS server must present.
    public enum Trust: Sendable, Equatable {
        /// The system's trust roots, with the host name checked (the default).
        case system
        /// Certificates signed by the CA certificate(s) in this PEM file, with the host name checked.
        case caFile(String)
        /// No verification at all: for tests and development only.
        case insecureNoVerification
    }

    /// How long to wait (RFC 5321 §4.5.3.2 gives minimum server-facing values of 5 minutes per command and 10 minutes
    /// for the reply to the end of DATA; a submission client that holds a job slot waits less for commands).
    public struct Timeouts: Sendable, Equatable {
        /// For the TCP connection to open.
        public var connect: Duration = .seconds(30)
        /// For the greeting and each reply to a command (TLS handshake included).
        public var command: Duration = .seconds(60)
        /// For the reply after the final "." of DATA: the server may scan the message first. Giving up early risks
        /// a second delivery when the job is retried, so this keeps RFC 5321's 10 minutes.
        public var dataEnd: Duration = .seconds(600)

        public init() {}
    }

    public var host: String
    public var port: Int
    public var security: Security
    public var trust: Trust = .system
    public var username: String?
    public var password: String?
    /// Who mail sent with these settings is from, unless a message says otherwise (`SMTP_FROM`; not part of the URL).
    public var from: EmailAddress?
    /// Send credentials over a connection without TLS; off by default (for a local test server only).
    public var allowInsecureAuth = false
    /// The name given in EHLO; by default `localhost`.
    public var heloName = "localhost"
    public var timeouts = Timeouts()

    public init(host: String, port: Int? = nil, security: Security = .starttls, username: String? = nil,
                password: String? = nil) {
        self.host = host
        self.security = security
        self.port = port ?? (security == .tls ? 465 : 587)
        self.username = username
        self.password = password
    }

    /// Parses `smtp[s]://[user[:password]@]host[:port][?parameters]`. User and password are percent-decoded.
    /// Parameters: `security` (none, opportunistic, starttls, tls), `ca_file` (PEM path), `insecure_skip_verify`,
    /// `allow_insecure_auth` (true/false), `helo`, `connect_timeout`, `command_timeout`, `data_timeout` (seconds).
    public init(url: String) throws(SMTPSettingsError) {
        if url.containsLineBreak { throw .invalid("must not contain line breaks") }
        guard let schemeEnd = url.firstRange(of: "://") else {
            throw .invalid("expected smtp://host[:port] or smtps://host[:port]")
        }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "smtp" || scheme == "smtps" else {
            throw .invalid("scheme must be smtp or smtps (got \(scheme))")
        }
        var rest = url[schemeEnd.upperBound...]
        var query = Substring("")
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.contains("/") else { throw .invalid("no path is allowed after the host") }
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                username = try Self.percentDecoded(userInfo[..<colon], part: "user name")
                password = try Self.percentDecoded(userInfo[userInfo.index(after: colon)...], part: "password")
            } else {
                username = try Self.percentDecoded(userInfo, part: "user name")
            }
            guard let name = username, !name.isEmpty else { throw .invalid("the user name before @ is empty") }
            guard password != nil else { throw .invalid("user \(name) has no password (user:password@host)") }
        }
        var host = String(rest)
        var port: Int?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw .invalid("unclosed [ in the host") }
            let after = host[host.index(after: close)...]
            if after.hasPrefix(":") { port = try Self.port(after.dropFirst()) } else if !after.isEmpty {
                throw .invalid("unexpected text after the host")
            }
            host = String(host[host.index(after: host.startIndex)..<close])
        } else if let colon = host.lastIndex(of: ":") {
            port = try Self.port(host[host.index(after: colon)...])
            host = String(host[..<colon])
        }
        guard !host.isEmpty else { throw .invalid("the host is missing") }
        guard host.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw .invalid("the host must be ASCII without spaces")
        }

        var security: Security = scheme == "smtps" ? .tls : .starttls
        var trust: Trust = .system
        var allowInsecureAuth = false
        var heloName: String?
        var timeouts = Timeouts()
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0])
            let value = try Self.percentDecoded(parts.count > 1 ? parts[1] : "", part: key)
            switch key {
            case "security":
                guard let parsed = Security(rawValue: value.lowercased()) else {
                    throw .invalid("security must be none, opportunistic, starttls or tls (got \(value))")
                }
                if scheme == "smtps", parsed != .tls {
                    throw .invalid("smtps:// is implicit TLS; use smtp:// for security=\(parsed.rawValue)")
                }
                security = parsed
            case "ca_file":
                guard !value.isEmpty else { throw .invalid("ca_file is empty") }
                if trust == .insecureNoVerification {
                    throw .invalid("ca_file and insecure_skip_verify exclude each other")
                }
                trust = .caFile(value)
            case "insecure_skip_verify":
                if try Self.bool(value, key) {
                    if case .caFile = trust { throw .invalid("ca_file and insecure_skip_verify exclude each other") }
                    trust = .insecureNoVerification
                }
            case "allow_insecure_auth":
                allowInsecureAuth = try Self.bool(value, key)
            case "helo":
                guard !value.isEmpty, value.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
                    throw .invalid("helo must be a host name (got \(value.debugDescription))")
                }
                heloName = value
            case "connect_timeout": timeouts.connect = try Self.seconds(value, key)
            case "command_timeout": timeouts.command = try Self.seconds(value, key)
            case "data_timeout": timeouts.dataEnd = try Self.seconds(value, key)
            default:
                throw .invalid("unknown parameter \(key) (known: security, ca_file, insecure_skip_verify, "
                    + "allow_insecure_auth, helo, connect_timeout, command_timeout, data_timeout)")
            }
        }
        self.init(host: host, port: port, security: security, username: username, password: password)
        self.trust = trust
        self.allowInsecureAuth = allowInsecureAuth
        if let heloName { self.heloName = heloName }
        self.timeouts = timeouts
    }

    /// The URL without its password, for logs and messages.
    public var redactedDescription: String {
        let scheme = security == .tls ? "smtps" : "smtp"
        let user = username.map { "\($0):***@" } ?? ""
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(user)\(shownHost):\(port)?security=\(security.rawValue)"
    }

    private static func port(_ text: Substring) throws(SMTPSettingsError) -> Int {
        guard let port = Int(text), (1...65535).contains(port) else {
            throw .invalid("port must be a number from 1 to 65535 (got \(text))")
        }
        return port
    }

    private static func bool(_ value: String, _ key: String) throws(SMTPSettingsError) -> Bool {
        switch value.lowercased() {
        case "1", "true", "yes", "on", "": return true
        case "0", "false", "no", "off": return false
        default: throw .invalid("\(key) must be true or false (got \(value))")
        }
    }

    private static func seconds(_ value: String, _ key: String) throws(SMTPSettingsError) -> Duration {
        guard let seconds = Int(value), (1...3600).contains(seconds) else {
            throw .invalid("\(key) must be whole seconds from 1 to 3600 (got \(value))")
        }
        return .seconds(seconds)
    }

    private static func percentDecoded(_ text: Substring, part: String) throws(SMTPSettingsError) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == 0x25 else { bytes.append(byte); continue }
            guard let high = iterator.next(), let low = iterator.next(),
                let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            else { throw .invalid("bad percent-encoding in the \(part)") }
            bytes.append(value)
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else { throw .invalid("the \(part) is not UTF-8") }
        if decoded.containsLineBreak { throw .invalid("the \(part) must not contain line breaks") }
        return decoded
    }
}

/// An SMTP URL or setting that cannot be used; the message says what to fix (and never contains the password).
public enum SMTPSettingsError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalid(String)

    public var description: String {
        switch self { case .invalid(let message): message }
    }
}
