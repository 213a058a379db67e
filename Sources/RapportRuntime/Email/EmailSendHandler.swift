import Foundation
import Logging
import RapportCore
import RapportMail

/// Runs `email.send` jobs: sends one outbox email through the SMTP server and records what became of it.
///
/// - At send time the contact rules are asked again (the customer may have unsubscribed, or the address bounced,
///   since the email was queued): a blocked email is not sent.
/// - A workspace sends at most `EMAIL_RATE_PER_MINUTE` emails in any 60 seconds; an email over the limit is deferred
///   (not failed) until the window has room.
/// - A temporary failure (a 4xx reply, no connection, a timeout) is retried on `EmailRetrySchedule`; a permanent one
///   (a 5xx reply) fails the email at once, and a 5xx reply to `RCPT TO` puts the address on the suppression list.
/// - Sent, failed and blocked emails appear on the customer's timeline.
///
/// Idempotent as the job queue requires: an email no longer `queued` is not sent again. A worker that dies after the
/// server accepted the message but before the outcome was stored sends it again; every attempt carries the same
/// `Message-ID`, by which mail systems recognise the duplicate.
public struct EmailSendHandler: JobHandler {
    public var kind: String { EmailOutbox.jobKind }
    public var retrySchedule: [Int64]? { EmailRetrySchedule.delays }

    let deps: CoreDependencies
    let transports: WorkspaceSMTPService
    let ratePerMinute: Int
    let publicURL: String
    let logger: Logger

    public init(deps: CoreDependencies, transports: WorkspaceSMTPService, settings: EmailSettings, logger: Logger) {
        self.deps = deps
        self.transports = transports
        self.ratePerMinute = settings.ratePerMinute
        self.publicURL = settings.publicURL
        self.logger = logger
    }

    public func run(_ job: Job) async throws {
        guard let workspaceId = job.workspaceId, let emailId = JSONValue.parse(job.payload)?["email_id"]?.stringValue else {
            throw PermanentJobError("an email job needs a workspace and an email_id")
        }
        let (store, deps, rate) = (deps.store, self.deps, ratePerMinute)
        let now = deps.clock.nowMillis
        // Decided in one write: the email's state, the contact rules and the rate limit's window.
        let decision = try await store.write { repos -> Decision in
            guard var email = try await repos.emails.find(workspaceId: workspaceId, id: emailId), email.state == .queued else {
                return .done
            }
            if let reason = try await EmailOutbox.blockReason(in: repos, email) {
                email.state = .blocked
                email.reason = reason
                email.updatedAt = now
                try await repos.emails.update(email)
                try await EmailOutbox.appendTimeline(email, in: repos, deps: deps)
                return .done
            }
            let window = try await repos.emails.sentTimes(workspaceId: workspaceId, since: now - 60_000)
            if window.count >= rate {
                return .wait(until: window[window.count - rate] + 60_000)
            }
            return .send(email)
        }
        switch decision {
        case .done:
            return
        case .wait(let until):
            throw JobDeferral(until: max(until, now + 1), reason: "the workspace sent \(rate) emails in the last minute")
        case .send(let email):
            try await send(email, job: job)
        }
    }

    private enum Decision: Sendable {
        case done
        case wait(until: Int64)
        case send(OutboundEmail)
    }

    private func send(_ queued: OutboundEmail, job: Job) async throws {
        // The workspace's own server, else the server-wide one. A password that cannot be opened (SECRET_KEY changed)
        // is retried like a temporary failure, so that fixing the key or the settings lets the email go out.
        guard let smtp = try await transports.transport(workspaceId: queued.workspaceId), let from = smtp.from else {
            // Another process may have SMTP configured; this one cannot send. Retried like a temporary failure.
            throw SMTPNotConfigured()
        }
        var email = queued
        email.attempts += 1
        var failure: SMTPError?
        do {
            let message = EmailMessage(
                from: from, to: [try EmailAddress(email.recipient, field: "to")], subject: email.subject,
                textBody: email.textBody, htmlBody: email.htmlBody,
                // RFC 8058 one-click needs an https link; over plain http (a local install) the link is in the body only.
                unsubscribeURL: publicURL.hasPrefix("https://")
                    ? email.unsubscribeToken.map { EmailOutbox.unsubscribeURL(publicURL, token: $0) } : nil,
                extraHeaders: [("X-Rapport-Email-Id", email.id)])
            let delivery = try await SMTPClient(settings: smtp, logger: logger).send(message, messageID: email.messageId)
            email.state = .sent
            email.sentAt = deps.clock.nowMillis
            email.lastReply = delivery.reply.description
            email.reason = nil
        } catch let error as SMTPError {
            failure = error
            email.lastReply = error.reply?.description ?? error.description
        } catch let error as EmailError {
            failure = SMTPError(kind: .invalidMessage, stage: "render", detail: error.description, isTransient: false)
            email.lastReply = error.description
        }
        let permanent = failure.map { !$0.isTransient } ?? false
        let lastAttempt = job.attempts >= job.maxAttempts
        if let failure, permanent || lastAttempt {
            email.state = .failed
            email.reason = permanent ? failure.description : "Every attempt failed; the last: \(failure.description)"
        }
        email.updatedAt = deps.clock.nowMillis
        let (recorded, deps) = (email, self.deps)
        // A 5xx reply to RCPT TO refuses the address itself; other permanent failures say nothing about it.
        let bounce = failure.flatMap { failure -> String? in
            guard !failure.isTransient, failure.kind == .rejected, failure.stage.hasPrefix("RCPT") else { return nil }
            return failure.reply?.description ?? failure.description
        }
        try await deps.store.write { repos in
            try await repos.emails.update(recorded)
            if recorded.state != .queued { try await EmailOutbox.appendTimeline(recorded, in: repos, deps: deps) }
            if let bounce {
                try await repos.emails.suppress(EmailSuppression(
                    id: deps.ids.next(), workspaceId: recorded.workspaceId, address: EmailAddressCheck.key(recorded.recipient),
                    reason: .bounced, detail: bounce, createdAt: deps.clock.nowMillis))
            }
        }
        guard let failure else { return }
        logger.info("email \(email.id) to \(email.recipient) failed (attempt \(job.attempts) of \(job.maxAttempts)): \(failure)",
                    metadata: ["component": "email", "workspace": .string(email.workspaceId)])
        if permanent { throw PermanentJobError(failure.description) }
        throw failure
    }
}

struct SMTPNotConfigured: Error, CustomStringConvertible {
    var description: String { "this process has no SMTP server configured (SMTP_URL, SMTP_FROM)" }
}
