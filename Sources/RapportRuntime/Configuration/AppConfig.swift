import SystemPackage
import Configuration
import Foundation
import Logging
import RapportCore
import RapportMail
import RapportStore

/// Everything `rapport serve` is configured with, read once and validated at start-up.
/// Sources, first match wins: command-line flags (passed in as overrides), environment, the JSON file named by
/// `RAPPORT_CONFIG_FILE`, defaults.
public struct AppConfig: Sendable {
    public var host: String = "127.0.0.1"
    public var port: Int = 8080
    public var database: DatabaseURL = .sqlite(path: "./rapport-data/rapport.sqlite")
    /// SQLite's durability and memory map (`SQLITE_SYNCHRONOUS`, `SQLITE_MMAP_BYTES`); unused on PostgreSQL.
    public var sqlite = SQLiteOptions()
    public var logLevel: Logger.Level = .info
    public var access = AccessPolicy()
    public var maxBodyBytes: Int = 1 << 20
    /// How long a request body may stall before the request is answered `408`; a connection idle for twice as long
    /// is closed.
    public var bodyTimeoutSeconds: Int = 30
    public var cookieSecure = false
    public var bootstrapAdmin: BootstrapAdmin?
    /// When every segment's membership is recomputed: a cron expression in UTC (`SEGMENT_REFRESH_CRON`).
    public var segmentRefreshCron: String = SegmentRefreshJobs.defaultCron
    /// How often the scheduler looks for due schedules (`SCHEDULER_TICK_MILLIS`).
    public var schedulerTickMillis: Int = 1_000
    /// Jobs one process runs at once (`JOB_CONCURRENCY`).
    public var jobConcurrency: Int = 2
    /// How long a worker's claim on a job lasts before another worker may take it; renewed while the job runs.
    public var jobLeaseSeconds: Int = 60
    /// How often an idle worker looks for due jobs.
    public var jobPollMillis: Int = 1_000
    /// Lets webhooks reach loopback, private and link-local addresses (`WEBHOOK_ALLOW_PRIVATE_NETWORKS`); off by
    /// default so an admin cannot point Rapport at the server's own network (SSRF). Tests and single-host setups turn it on.
    public var webhookAllowPrivateNetworks = false
    /// How long one webhook request may take, connecting included (`WEBHOOK_TIMEOUT_SECONDS`).
    public var webhookTimeoutSeconds: Int = 15
    /// How long every delivery to an endpoint may fail before Rapport disables it and emails its owner
    /// (`WEBHOOK_DISABLE_AFTER_HOURS`, 5 days).
    public var webhookDisableAfterHours: Int = WebhookHealth.defaultDisableAfterHours
    /// How long finished jobs and webhook deliveries are kept (`JOB_RETENTION_DAYS`, `WEBHOOK_LOG_RETENTION_DAYS`).
    public var retention = Housekeeping.Retention()
    /// Bcrypt cost; tests lower it to keep suites fast.
    public var bcryptCost: UInt8 = 12
    /// The server-wide SMTP server and sender (`SMTP_URL`, `SMTP_FROM`, `SMTP_CA_FILE`), used where a workspace has
    /// no SMTP settings of its own; nil when none is set. When set, its `from` is set too.
    public var smtp: SMTPSettings?
    /// Where people reach this server (`PUBLIC_URL`); links in emails (unsubscribe) start with it. Default:
    /// `http://HOST:PORT`.
    public var publicURL: String?
    /// The server's key for secrets it stores sealed (`SECRET_KEY`, base64 of 32 bytes): workspaces' SMTP passwords.
    /// Without one, `serve` and `worker` on SQLite make one in `secret.key` beside the database file.
    public var secretKey: [UInt8]?
    /// Emails one workspace may send in any 60 seconds (`EMAIL_RATE_PER_MINUTE`).
    public var emailRatePerMinute: Int = 120
    /// How long a dashboard view that took at least `DASHBOARD_CACHE_AFTER_MILLIS` to count is reused
    /// (`DASHBOARD_CACHE_SECONDS`, 0 turns it off); the page then says when its figures were counted.
    public var dashboardCache = SnapshotCacheSettings()

    /// `PUBLIC_URL`, or the address this server listens on.
    public var effectivePublicURL: String {
        if let publicURL { return publicURL }
        let host = host == "0.0.0.0" || host == "::" ? "localhost" : (host.contains(":") ? "[\(host)]" : host)
        return "http://\(host):\(port)"
    }

    /// What the email services need to know of this configuration.
    public var emailSettings: EmailSettings {
        EmailSettings(isConfigured: smtp != nil, publicURL: effectivePublicURL, ratePerMinute: emailRatePerMinute)
    }

    public struct BootstrapAdmin: Sendable, Equatable {
        public var email: String
        public var password: String
        public var workspace: String
    }

    public init() {}

    /// Reads and validates configuration; `overrides` are the command-line values (`http.port`, …).
    public static func load(overrides: [String: String] = [:],
                            environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> AppConfig {
        var providers: [any ConfigProvider] = [
            InMemoryProvider(name: "command line", values: Dictionary(uniqueKeysWithValues: overrides.map {
                (AbsoluteConfigKey($0.key.split(separator: ".").map(String.init)), ConfigValue(.string($0.value), isSecret: false))
            })),
            EnvironmentVariablesProvider(environmentVariables: environment),
        ]
        if let file = environment["RAPPORT_CONFIG_FILE"], !file.isEmpty {
            do {
                providers.append(try await FileProvider<JSONSnapshot>(filePath: .init(file)))
            } catch {
                throw ConfigError("RAPPORT_CONFIG_FILE: cannot read \(file) as JSON (\(error))")
            }
        }
        return try AppConfig(reader: ConfigReader(providers: providers))
    }

    init(reader: ConfigReader) throws {
        host = reader.string(forKey: "http.host", default: host)
        guard !host.isEmpty else { throw ConfigError("HTTP_HOST must not be empty") }
        port = try Self.int(reader, "http.port", env: "HTTP_PORT", default: port, range: 0...65535)
        let rawDatabase = reader.string(forKey: "database.url", isSecret: true, default: DatabaseURL.defaultValue)
        do { database = try DatabaseURL(parsing: rawDatabase) } catch { throw ConfigError("DATABASE_URL: \(error.message)") }
        let rawSynchronous = reader.string(forKey: "sqlite.synchronous", default: sqlite.synchronous.rawValue)
        guard let synchronous = SQLiteSynchronous(rawValue: rawSynchronous.trimmed.lowercased()) else {
            throw ConfigError("SQLITE_SYNCHRONOUS must be full or normal (got \(rawSynchronous))")
        }
        sqlite.synchronous = synchronous
        // SQLite caps the map at its compile-time SQLITE_MAX_MMAP_SIZE (0x7fff0000 in sqlite-nio's build).
        sqlite.mmapBytes = try Self.int(reader, "sqlite.mmap.bytes", env: "SQLITE_MMAP_BYTES", default: sqlite.mmapBytes,
                                        range: 0...Self.maxMmapBytes)
        let rawLevel = reader.string(forKey: "log.level", default: "info").lowercased()
        guard let level = Logger.Level(rawValue: rawLevel) else {
            throw ConfigError("LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical (got \(rawLevel))")
        }
        logLevel = level
        access = AccessPolicy(
            sessionTTLHours: try Self.int(reader, "session.ttl.hours", env: "SESSION_TTL_HOURS", default: 12, range: 1...8760),
            maxLoginFailures: try Self.int(reader, "login.max.failures", env: "LOGIN_MAX_FAILURES", default: 5, range: 1...1000),
            lockoutMinutes: try Self.int(reader, "login.lockout.minutes", env: "LOGIN_LOCKOUT_MINUTES", default: 15, range: 1...10080))
        maxBodyBytes = try Self.int(reader, "http.max.body.bytes", env: "HTTP_MAX_BODY_BYTES", default: maxBodyBytes,
                                    range: 1024...(256 << 20))
        bodyTimeoutSeconds = try Self.int(reader, "http.body.timeout.seconds", env: "HTTP_BODY_TIMEOUT_SECONDS",
                                          default: bodyTimeoutSeconds, range: 1...3600)
        if reader.string(forKey: "segment.refresh.seconds") != nil || reader.int(forKey: "segment.refresh.seconds") != nil {
            throw ConfigError("SEGMENT_REFRESH_SECONDS was replaced by SEGMENT_REFRESH_CRON, a cron expression "
                              + "(default \(SegmentRefreshJobs.defaultCron), every 5 minutes)")
        }
        segmentRefreshCron = reader.string(forKey: "segment.refresh.cron", default: segmentRefreshCron)
        do { _ = try CronExpression(parsing: segmentRefreshCron) } catch {
            throw ConfigError("SEGMENT_REFRESH_CRON: \(error) (got \(segmentRefreshCron))")
        }
        schedulerTickMillis = try Self.int(reader, "scheduler.tick.millis", env: "SCHEDULER_TICK_MILLIS",
                                           default: schedulerTickMillis, range: 50...60_000)
        jobConcurrency = try Self.int(reader, "job.concurrency", env: "JOB_CONCURRENCY", default: jobConcurrency,
                                      range: 1...64)
        jobLeaseSeconds = try Self.int(reader, "job.lease.seconds", env: "JOB_LEASE_SECONDS", default: jobLeaseSeconds,
                                       range: 5...86_400)
        jobPollMillis = try Self.int(reader, "job.poll.millis", env: "JOB_POLL_MILLIS", default: jobPollMillis,
                                     range: 50...60_000)
        cookieSecure = try Self.bool(reader, "cookie.secure", env: "COOKIE_SECURE", default: false)
        webhookAllowPrivateNetworks = try Self.bool(reader, "webhook.allow.private.networks", env: "WEBHOOK_ALLOW_PRIVATE_NETWORKS",
                                                    default: false)
        webhookTimeoutSeconds = try Self.int(reader, "webhook.timeout.seconds", env: "WEBHOOK_TIMEOUT_SECONDS",
                                             default: webhookTimeoutSeconds, range: 1...120)
        webhookDisableAfterHours = try Self.int(reader, "webhook.disable.after.hours", env: "WEBHOOK_DISABLE_AFTER_HOURS",
                                                default: webhookDisableAfterHours, range: 1...8_760)
        retention.jobDays = try Self.int(reader, "job.retention.days", env: "JOB_RETENTION_DAYS", default: retention.jobDays,
                                         range: 1...3_650)
        retention.webhookDeliveryDays = try Self.int(reader, "webhook.log.retention.days", env: "WEBHOOK_LOG_RETENTION_DAYS",
                                                     default: retention.webhookDeliveryDays, range: 1...3_650)
        smtp = try Self.smtp(reader)
        if let raw = reader.string(forKey: "secret.key", isSecret: true)?.trimmed, !raw.isEmpty {
            guard let key = Data(base64Encoded: raw), key.count == AESGCMSecretBox.keyLength else {
                throw ConfigError("SECRET_KEY must be the base64 of 32 random bytes (e.g. the output of: openssl rand -base64 32)")
            }
            secretKey = Array(key)
        }
        emailRatePerMinute = try Self.int(reader, "email.rate.per.minute", env: "EMAIL_RATE_PER_MINUTE",
                                          default: emailRatePerMinute, range: 1...100_000)
        dashboardCache.maxAgeMillis = Int64(try Self.int(reader, "dashboard.cache.seconds", env: "DASHBOARD_CACHE_SECONDS",
                                                         default: Int(dashboardCache.maxAgeMillis / 1_000), range: 0...86_400)) * 1_000
        dashboardCache.slowerThanMillis = Int64(try Self.int(reader, "dashboard.cache.after.millis", env: "DASHBOARD_CACHE_AFTER_MILLIS",
                                                             default: Int(dashboardCache.slowerThanMillis), range: 0...600_000))
        if let raw = reader.string(forKey: "public.url")?.trimmed, !raw.isEmpty {
            guard let url = URL(string: raw), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil,
                  url.query == nil, url.fragment == nil else {
                throw ConfigError("PUBLIC_URL must be an http or https URL such as https://rapport.example.com (got \(raw))")
            }
            publicURL = raw.hasSuffix("/") ? String(raw.dropLast()) : raw
        }
        let email = reader.string(forKey: "rapport.admin.email")
        let password = reader.string(forKey: "rapport.admin.password", isSecret: true)
        switch (email, password) {
        case (nil, nil): bootstrapAdmin = nil
        case (let email?, let password?):
            bootstrapAdmin = BootstrapAdmin(email: email, password: password,
                                            workspace: reader.string(forKey: "rapport.admin.workspace", default: "Default"))
        default:
            throw ConfigError("RAPPORT_ADMIN_EMAIL and RAPPORT_ADMIN_PASSWORD must be set together")
        }
    }

    /// `SMTP_URL` and `SMTP_FROM` together (or neither); `SMTP_CA_FILE` trusts a private CA's certificate instead of
    /// the system's roots. The CA file is read here, so a bad one stops start-up rather than the first send.
    private static func smtp(_ reader: ConfigReader) throws -> SMTPSettings? {
        func value(_ key: ConfigKey, secret: Bool = false) -> String? {
            guard let raw = reader.string(forKey: key, isSecret: secret)?.trimmed, !raw.isEmpty else { return nil }
            return raw
        }
        let url = value("smtp.url", secret: true)
        let from = value("smtp.from")
        let caFile = value("smtp.ca.file")
        guard let url else {
            if from != nil || caFile != nil { throw ConfigError("SMTP_FROM and SMTP_CA_FILE need SMTP_URL") }
            return nil
        }
        var settings: SMTPSettings
        do { settings = try SMTPSettings(url: url) } catch { throw ConfigError("SMTP_URL: \(error.description)") }
        if let caFile {
            if settings.trust == .insecureNoVerification {
                throw ConfigError("SMTP_CA_FILE and insecure_skip_verify in SMTP_URL exclude each other")
            }
            settings.trust = .caFile(caFile)
        }
        do { try SMTPClient.validate(settings) } catch {
            throw ConfigError("\(caFile == nil ? "SMTP_URL" : "SMTP_CA_FILE"): \(error.detail)")
        }
        guard let from else { throw ConfigError("SMTP_FROM must be set with SMTP_URL (e.g. Rapport <noreply@example.com>)") }
        do {
            settings.from = try EmailAddress(parsing: from, field: "SMTP_FROM")
        } catch {
            throw ConfigError(error.description)  // names SMTP_FROM
        }
        return settings
    }

    /// The largest memory map SQLite accepts (its SQLITE_MAX_MMAP_SIZE), about 2 GiB.
    public static let maxMmapBytes = 2_147_418_112

    private static func int(_ reader: ConfigReader, _ key: ConfigKey, env: String, default value: Int,
                            range: ClosedRange<Int>) throws -> Int {
        let problem = ConfigError("\(env) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        let number: Int
        if let value = reader.int(forKey: key) {
            number = value
        } else if let raw = reader.string(forKey: key) {
            guard let parsed = Int(raw.trimmed) else {
                throw ConfigError("\(problem.message) (got \(raw))")
            }
            number = parsed
        } else {
            return value
        }
        guard range.contains(number) else { throw ConfigError("\(problem.message) (got \(number))") }
        return number
    }

    private static func bool(_ reader: ConfigReader, _ key: ConfigKey, env: String, default value: Bool) throws -> Bool {
        if let flag = reader.bool(forKey: key) { return flag }
        guard let raw = reader.string(forKey: key) else { return value }
        switch raw.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw ConfigError("\(env) must be true or false (got \(raw))")
        }
    }
}

/// A configuration value that fails validation; the message names the setting.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
