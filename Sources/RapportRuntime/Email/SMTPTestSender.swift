import Foundation
import RapportCore
import RapportMail

/// The "send test email" action of the settings (API and page): sends a short message through the configured SMTP
/// server at once, outside the outbox, and reports the server's answer so an admin can fix the settings.
public struct SMTPTestSender: Sendable {
    let transports: WorkspaceSMTPService

    public init(transports: WorkspaceSMTPService) { self.transports = transports }

    public struct Outcome: Sendable, Equatable {
        public var delivered: Bool
        public var reply: String
        /// For a failure: whether it may pass by itself (a 4xx reply, a timeout).
        public var temporary: Bool
        public var messageId: String?
    }

    /// Sends through the workspace's SMTP server (its own, else the server-wide one).
    public func send(to raw: String, workspace: Workspace) async throws -> Outcome {
        let workspaceName = workspace.name
        let resolved: SMTPSettings?
        do { resolved = try await transports.transport(workspaceId: workspace.id) } catch {
            return Outcome(delivered: false, reply: String(describing: error), temporary: false, messageId: nil)
        }
        guard let smtp = resolved, let from = smtp.from else {
            throw EmailOutbox.notConfigured
        }
        let recipient: EmailAddress
        do { recipient = try EmailAddress(parsing: raw.trimmed, field: "to") } catch {
            throw RapportError.invalid("to", "to must be an email address such as ann@example.com.")
        }
        let text = """
            This is a test message from Rapport, sent for the workspace \(workspaceName).
            If you can read it, Rapport can send email through \(smtp.host).
            """
        let message = EmailMessage(from: from, to: [recipient], subject: "Rapport test email", textBody: text,
                                   extraHeaders: [("Auto-Submitted", "auto-generated")])
        do {
            let delivery = try await SMTPClient(settings: smtp).send(message)
            return Outcome(delivered: true, reply: delivery.reply.description, temporary: false, messageId: delivery.messageID)
        } catch {
            return Outcome(delivered: false, reply: error.description, temporary: error.isTransient, messageId: nil)
        }
    }
}
