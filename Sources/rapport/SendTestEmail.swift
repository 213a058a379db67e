import ArgumentParser
import Foundation
import RapportMail
import RapportRuntime

/// `rapport send-test-email`: checks the SMTP settings by sending a small multipart message.
struct SendTestEmail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send-test-email",
        abstract: "Send a test message through the SMTP server of SMTP_URL (or --smtp-url) and print its answer.",
        discussion: """
            Exits 0 when the server accepted the message, 75 (EX_TEMPFAIL) when it failed for a reason that may pass \
            (a 4xx reply, no connection, a timeout), and 1 otherwise (a 5xx reply, rejected credentials, bad settings).
            """)

    @Option(help: "Recipient address.") var to: String
    @Option(name: .customLong("smtp-url"),
            help: "smtp://user:pass@host:587?security=starttls or smtps://user:pass@host (default: $SMTP_URL).")
    var smtpURL: String?
    @Option(help: "Sender, e.g. 'Rapport <noreply@example.com>' (default: $SMTP_FROM).") var from: String?
    @Option(help: "Subject.") var subject = "Rapport test email"
    @Option(help: "Plain-text body; the HTML part shows the same text (default: a short test text).") var text: String?
    @Option(name: .customLong("unsubscribe-url"),
            help: "An https:// URL to send as List-Unsubscribe with one-click unsubscribe (RFC 8058).")
    var unsubscribeURL: String?

    static let defaultText = """
        This is a test message from Rapport (rapport send-test-email).
        If you can read it, Rapport can send email through this SMTP server.
        """

    func run() async throws {
        try await runReportingErrors {
            var overrides: [String: String] = [:]
            if let smtpURL { overrides["smtp.url"] = smtpURL }
            if let from { overrides["smtp.from"] = from }
            let config = try await AppConfig.load(overrides: overrides)
            guard let smtp = config.smtp, let sender = smtp.from else {
                throw ConfigError("no SMTP server: set SMTP_URL and SMTP_FROM, or pass --smtp-url and --from")
            }
            let recipient = try EmailAddress(parsing: to, field: "--to")
            let body = text ?? Self.defaultText
            let message = EmailMessage(from: sender, to: [recipient], subject: subject, textBody: body,
                                       htmlBody: Self.html(body), unsubscribeURL: unsubscribeURL)
            do {
                let delivery = try await SMTPClient(settings: smtp).send(message)
                print("sent <\(delivery.messageID)> to \(recipient.address) via \(smtp.redactedDescription)")
                print(delivery.reply.description)
            } catch let error as SMTPError {
                let line = error.description.split(whereSeparator: { $0.isNewline }).joined(separator: " ")
                FileHandle.standardError.write(Data("rapport: \(line)\n".utf8))
                throw ExitCode(error.isTransient ? 75 : 1)
            }
        }
    }

    /// The text as an HTML paragraph per line, escaped.
    static func html(_ text: String) -> String {
        let paragraphs = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            var escaped = ""
            for character in line {
                switch character {
                case "&": escaped += "&amp;"
                case "<": escaped += "&lt;"
                case ">": escaped += "&gt;"
                case "\"": escaped += "&quot;"
                default: escaped.append(character)
                }
            }
            return "<p>\(escaped)</p>"
        }
        return "<!doctype html>\n<html><body>\n" + paragraphs.joined(separator: "\n") + "\n</body></html>\n"
    }
}
