import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import RapportCore
import RapportMail
import RapportRuntime
import RapportServer
import RapportStore
import Testing

@Suite("Configuration and readiness")
struct ConfigurationTests {
    @Test func defaultsApplyAndEnvironmentOverridesThem() async throws {
        let defaults = try await AppConfig.load(environment: [:])
        #expect(defaults.port == 8080)
        #expect(defaults.jobConcurrency == 2 && defaults.jobLeaseSeconds == 60 && defaults.jobPollMillis == 1_000)
        #expect(defaults.host == "127.0.0.1")
        #expect(defaults.database == .sqlite(path: "./rapport-data/rapport.sqlite"))
        #expect(defaults.sqlite == SQLiteOptions(synchronous: .full, mmapBytes: 1 << 30))
        let env = try await AppConfig.load(environment: ["HTTP_PORT": "9090", "LOG_LEVEL": "debug", "SESSION_TTL_HOURS": "2",
                                                         "DATABASE_URL": "postgres://u:p@db.internal:5433/rapport"])
        #expect(env.port == 9090)
        #expect(env.logLevel == .debug)
        #expect(env.access.sessionTTLMillis == 2 * 3_600_000)
        #expect(env.database.kind == .postgres)
        let flags = try await AppConfig.load(overrides: ["http.port": "7070"], environment: ["HTTP_PORT": "9090"])
        #expect(flags.port == 7070, "command-line flags win over the environment")
    }

    @Test(arguments: [
        (["HTTP_PORT": "eighty"], "HTTP_PORT"),
        (["HTTP_PORT": "70000"], "HTTP_PORT"),
        (["LOG_LEVEL": "loud"], "LOG_LEVEL"),
        (["DATABASE_URL": "mysql://x"], "DATABASE_URL"),
        (["RAPPORT_ADMIN_EMAIL": "a@b.co"], "RAPPORT_ADMIN_PASSWORD"),
        (["COOKIE_SECURE": "maybe"], "COOKIE_SECURE"),
        (["SQLITE_SYNCHRONOUS": "off"], "SQLITE_SYNCHRONOUS"),
        (["SQLITE_MMAP_BYTES": "-1"], "SQLITE_MMAP_BYTES"),
        (["SQLITE_MMAP_BYTES": "3000000000"], "SQLITE_MMAP_BYTES"),
        (["SQLITE_MMAP_BYTES": "1GB"], "SQLITE_MMAP_BYTES"),
        (["JOB_CONCURRENCY": "0"], "JOB_CONCURRENCY"),
        (["JOB_CONCURRENCY": "many"], "JOB_CONCURRENCY"),
        (["JOB_LEASE_SECONDS": "1"], "JOB_LEASE_SECONDS"),
        (["JOB_POLL_MILLIS": "10"], "JOB_POLL_MILLIS"),
        (["SMTP_URL": "smtp://mail.example.com:0", "SMTP_FROM": "a@example.com"], "SMTP_URL: port"),
        (["SMTP_URL": "smtp://mail.example.com"], "SMTP_FROM must be set"),
        (["SMTP_URL": "smtp://mail.example.com", "SMTP_FROM": "no address"], "SMTP_FROM: "),
        (["SMTP_FROM": "a@example.com"], "need SMTP_URL"),
        (["SMTP_URL": "smtp://mail.example.com", "SMTP_FROM": "a@example.com", "SMTP_CA_FILE": "/nonexistent.pem"],
         "SMTP_CA_FILE: cannot read the CA certificate file /nonexistent.pem"),
        (["SCHEDULER_TICK_MILLIS": "0"], "SCHEDULER_TICK_MILLIS"),
        (["SEGMENT_REFRESH_CRON": "*/5 * * *"], "SEGMENT_REFRESH_CRON"),
        (["SEGMENT_REFRESH_CRON": "61 * * * *"], "SEGMENT_REFRESH_CRON"),
        (["SEGMENT_REFRESH_SECONDS": "300"], "SEGMENT_REFRESH_SECONDS"),
    ])
    func invalidValuesStopStartUpNamingTheSetting(environment: [String: String], key: String) async {
        do {
            _ = try await AppConfig.load(environment: environment)
            Issue.record("expected \(key) to be refused")
        } catch let error as ConfigError {
            #expect(error.message.contains(key), "\(error.message)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func smtpDefaultsAreReadFromURLAndSender() async throws {
        #expect(try await AppConfig.load(environment: [:]).smtp == nil)
        let config = try await AppConfig.load(environment: [
            "SMTP_URL": "smtps://mailer:p%40ss@mail.example.com", "SMTP_FROM": "Rapport <noreply@example.com>",
        ])
        let smtp = try #require(config.smtp)
        #expect(smtp.host == "mail.example.com")
        #expect(smtp.port == 465)
        #expect(smtp.security == .tls)
        #expect(smtp.password == "p@ss")
        #expect(smtp.from == (try EmailAddress("noreply@example.com", displayName: "Rapport")))
    }

    @Test func aConfigFileSitsBelowTheEnvironment() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rapport-config-\(UUID().uuidString).json")
        try #"{"http": {"port": 6060, "host": "0.0.0.0"}, "segment": {"refresh": {"cron": "@hourly"}}}"#
            .write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let config = try await AppConfig.load(environment: ["RAPPORT_CONFIG_FILE": file.path, "HTTP_HOST": "127.0.0.2"])
        #expect(config.port == 6060)
        #expect(config.host == "127.0.0.2")
        #expect(config.segmentRefreshCron == "@hourly")
    }

    @Test func readinessIs503UntilMigrationsAreApplied() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rapport-ready-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let url = DatabaseURL.sqlite(path: dir.appendingPathComponent("db.sqlite").path)
        let database = try await DatabaseClient.connect(url, logger: logger)
        var config = AppConfig()
        config.database = url
        let runtime = Runtime(config: config, database: database, logger: logger)
        let app = Application(router: try await buildRouter(services: runtime.services), logger: logger)
        try await app.test(.router) { client in
            let before = try await client.execute(uri: "/readyz", method: .get)
            #expect(before.status == .serviceUnavailable)
            #expect(String(buffer: before.body).contains("\"not_ready\""))
            try await Migrator(database: database).migrate()
            #expect(try await client.execute(uri: "/readyz", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
        }
        await database.shutdown()
    }
}
