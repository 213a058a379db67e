import Foundation
import Logging
import RapportRuntime
import Synchronization
import Testing

/// `serve`'s log lines: the format swift-log's StreamLogHandler writes (time, level, label, sorted metadata, module,
/// message), with the time in UTC to the second.
@Suite("Log lines")
struct LineLogHandlerTests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    static func logger(_ lines: Lines, level: Logger.Level = .info) -> Logger {
        var logger = Logger(label: "rapport") { label in LineLogHandler(label: label, output: { lines.append($0) }) }
        logger.logLevel = level
        return logger
    }

    @Test func aLineCarriesTheTimeLevelSortedMetadataModuleAndMessage() throws {
        let lines = Lines()
        var logger = Self.logger(lines)
        logger[metadataKey: "request_id"] = "r1"
        let before = Date()
        logger.info("GET /x 200", metadata: ["status": "200", "component": "http"], source: "RapportServer")
        logger.debug("not at info")
        struct Broken: Error {}
        logger.warning("failed", error: Broken(), source: "RapportServer")
        let got = lines.all
        #expect(got.count == 2)
        let first = try #require(got.first)
        let stamp = String(first.prefix(20))
        #expect(first.dropFirst(20) == " info rapport: component=http request_id=r1 status=200 [RapportServer] GET /x 200\n", "\(first)")
        let formatter = ISO8601DateFormatter()
        let when = try #require(formatter.date(from: stamp), "\(stamp)")
        #expect(abs(when.timeIntervalSince(before)) < 2)
        #expect(got[1].contains(" warning rapport: error.message=Broken() error.type="), "\(got[1])")
        #expect(got[1].hasSuffix(" request_id=r1 [RapportServer] failed\n"), "\(got[1])")
    }

    @Test func aLineWithoutMetadataHasNone() throws {
        let lines = Lines()
        Self.logger(lines).notice("listening", source: "rapport")
        #expect(lines.all.first?.dropFirst(20) == " notice rapport: [rapport] listening\n")
    }
}
