#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Logging
import Synchronization

/// Log lines as swift-log's `StreamLogHandler` writes them (`<time> <level> <label>: <key=value …> [<module>] <message>`,
/// metadata sorted by key), but cheaper per line, since `serve` writes one for every HTTP request at `info`: the time
/// stamp (UTC, `2026-12-03T14:05:09Z`) is formatted once a second instead of through `localtime()` on every line
/// (which checks /etc/localtime each time), the line is built in one string and written with one `write(2)` (one line
/// never interleaves with another's). Measured: docs/benchmarks.md, "Single events against the binary".
public struct LineLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    public var metadata: Logger.Metadata = [:] {
        didSet { prettyMetadata = Self.prettify(metadata) }
    }
    private var prettyMetadata = ""
    private let label: String
    private let output: @Sendable (String) -> Void

    /// A handler writing to standard error, or to `output` (tests).
    public init(label: String, output: (@Sendable (String) -> Void)? = nil) {
        self.label = label
        self.output = output ?? Self.standardError
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var line = Self.stamp.current()
        line.reserveCapacity(line.utf8.count + 96 + prettyMetadata.utf8.count)
        line += " "
        line += event.level.rawValue
        if !label.isEmpty {
            line += " "
            line += label
        }
        line += ":"
        let provided = metadataProvider?.get() ?? [:]
        if provided.isEmpty, event.metadata?.isEmpty ?? true, event.error == nil {
            if !prettyMetadata.isEmpty {
                line += " "
                line += prettyMetadata
            }
        } else {
            var merged = metadata
            merged.merge(provided) { _, new in new }
            if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
            if let error = event.error {
                merged["error.message"] = "\(error)"
                merged["error.type"] = "\(String(reflecting: type(of: error)))"
            }
            let pretty = Self.prettify(merged)
            if !pretty.isEmpty {
                line += " "
                line += pretty
            }
        }
        line += " ["
        line += event.source
        line += "] "
        line += event.message.description
        line += "\n"
        output(line)
    }

    /// `key=value` pairs sorted by key, separated by spaces (empty for no metadata).
    static func prettify(_ metadata: Logger.Metadata) -> String {
        var text = ""
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            if !text.isEmpty { text += " " }
            text += key
            text += "="
            text += value.description
        }
        return text
    }

    @Sendable static func standardError(_ line: String) {
        var line = line
        line.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0, errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }

    /// The current second as text, formatted again only when the second changes.
    static let stamp = SecondStamp()

    final class SecondStamp: Sendable {
        private let cached = Mutex<(second: Int, text: String)>((-1, ""))

        func current() -> String {
            let now = Int(Date().timeIntervalSince1970.rounded(.down))
            return cached.withLock { cached in
                if cached.second != now { cached = (now, Self.format(now)) }
                return cached.text
            }
        }

        static func format(_ second: Int) -> String {
            var time = time_t(second)
            var parts = tm()
            gmtime_r(&time, &parts)
            func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
            return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
                + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
        }
    }
}
