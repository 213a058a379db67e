import Testing

@testable import RapportMail

struct SMTPSettingsTests {
    @Test func submissionURLWithPercentEncodedPassword() throws {
        let settings = try SMTPSettings(
            url: "smtp://mailer%40example.com:p%40ss%3Aword@mail.example.com:587?security=starttls")
        #expect(settings.host == "mail.example.com")
        #expect(settings.port == 587)
        #expect(settings.security == .starttls)
        #expect(settings.username == "mailer@example.com")
        #expect(settings.password == "p@ss:word")
        #expect(settings.trust == .system)
        #expect(!settings.allowInsecureAuth)
        #expect(!settings.redactedDescription.contains("p@ss"))
    }

    @Test func defaultsFollowTheScheme() throws {
        let smtps = try SMTPSettings(url: "smtps://mail.example.com")
        #expect(smtps.port == 465)
        #expect(smtps.security == .tls)
        let smtp = try SMTPSettings(url: "smtp://mail.example.com")
        #expect(smtp.port == 587)
        #expect(smtp.security == .starttls)
        #expect(smtp.username == nil)
        #expect(smtp.timeouts.connect == .seconds(30))
        #expect(smtp.timeouts.command == .seconds(60))
        #expect(smtp.timeouts.dataEnd == .seconds(600))
    }

    @Test func parametersSetTrustTimeoutsAndHelo() throws {
        let settings = try SMTPSettings(
            url: "smtp://127.0.0.1:2525?security=none&allow_insecure_auth=true&helo=app.example"
                + "&connect_timeout=2&command_timeout=3&data_timeout=4")
        #expect(settings.security == .none)
        #expect(settings.allowInsecureAuth)
        #expect(settings.heloName == "app.example")
        #expect(settings.timeouts.connect == .seconds(2))
        #expect(settings.timeouts.command == .seconds(3))
        #expect(settings.timeouts.dataEnd == .seconds(4))
        #expect(try SMTPSettings(url: "smtps://h?ca_file=/etc/ca.pem").trust == .caFile("/etc/ca.pem"))
        #expect(try SMTPSettings(url: "smtps://h?insecure_skip_verify=true").trust == .insecureNoVerification)
        #expect(try SMTPSettings(url: "smtp://[::1]:25?security=opportunistic").host == "::1")
    }

    @Test(arguments: [
        ("http://mail.example.com", "scheme must be smtp or smtps"),
        ("mail.example.com:587", "expected smtp://"),
        ("smtp://", "host is missing"),
        ("smtp://user:pw@:25", "host is missing"),
        ("smtp://h:0", "port must be a number from 1 to 65535"),
        ("smtp://h:99999", "port must be a number from 1 to 65535"),
        ("smtp://h:abc", "port must be a number"),
        ("smtp://h?security=maybe", "security must be none, opportunistic, starttls or tls"),
        ("smtps://h?security=starttls", "smtps:// is implicit TLS"),
        ("smtp://user@h", "has no password"),
        ("smtp://h?sslmode=require", "unknown parameter sslmode"),
        ("smtp://h?ca_file=/x&insecure_skip_verify=true", "exclude each other"),
        ("smtp://h?command_timeout=0", "command_timeout must be whole seconds"),
        ("smtp://h/path", "no path"),
        ("smtp://u:p%zz@h", "bad percent-encoding in the password"),
    ])
    func invalidURLsAreRefusedWithAClearMessage(url: String, message: String) {
        do {
            _ = try SMTPSettings(url: url)
            Issue.record("\(url) was accepted")
        } catch {
            #expect(error.description.contains(message), "\(url): \(error.description)")
        }
    }

    @Test func errorMessagesNeverContainThePassword() {
        do {
            _ = try SMTPSettings(url: "smtp://user:hunter2@h:nope")
            Issue.record("accepted")
        } catch {
            #expect(!error.description.contains("hunter2"))
        }
    }
}
