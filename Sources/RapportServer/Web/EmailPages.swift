import Hummingbird
import RapportCore
import RapportRuntime
import RapportWeb

/// Email settings in the browser (admins): the SMTP test, templates, the suppression list and the latest emails.
/// Mounted on the session group.
struct EmailPages: Sendable {
    let emails: EmailService
    let smtpSettings: WorkspaceSMTPService
    let smtpTest: SMTPTestSender
    let ratePerMinute: Int
    let pages: PageResponder

    static let notices = [
        "template": "The template is added.", "suppressed": "The address is on the suppression list.",
        "unsuppressed": "The address is off the suppression list.",
        "smtp": "The SMTP server is saved. Send a test email to check it.",
        "smtp-removed": "This workspace's email goes through the server-wide SMTP server again.",
    ]

    func add(to group: RouterGroup<AppRequestContext>) {
        group.get("/settings/email") { request, context in
            let flash = request.uri.queryParameters.get("done").flatMap { Self.notices[String($0)] }
            return try await page(try context.requirePrincipal(), error: nil, flash: flash)
        }
        group.post("/settings/email/test") { request, context in
            let (principal, form) = try await context.signedInForm(request)
            try principal.require(Permission.manageWorkspace.leastRole)
            let to = form["to"] ?? ""
            do {
                let outcome = try await smtpTest.send(to: to, workspace: principal.workspace)
                return outcome.delivered
                    ? try await page(principal, error: nil, flash: "The SMTP server accepted the test email: \(outcome.reply)")
                    : try await page(principal, error: "The test email was not sent: \(outcome.reply)", flash: nil,
                                     values: ["to": to], status: .unprocessableContent)
            } catch let error as RapportError where error.kind == .validation || error.kind == .conflict {
                return try await page(principal, error: error.message, flash: nil, values: ["to": to], status: .unprocessableContent)
            }
        }
        group.post("/settings/email/smtp") { request, context in
            let (principal, form) = try await context.signedInForm(request)
            do {
                let rawPort = form["port"]?.trimmed ?? ""
                var port: Int?
                if !rawPort.isEmpty {
                    guard let number = Int(rawPort) else { throw RapportError.invalid("port", "port must be a number from 1 to 65535.") }
                    port = number
                }
                let password = form["password"].flatMap { $0.isEmpty ? nil : $0 }
                _ = try await smtpSettings.save(principal, host: form["host"] ?? "", port: port, security: form["security"],
                                                username: form["username"], password: password.map { .some($0) } ?? .none,
                                                from: form["from"] ?? "", ip: context.remoteIP)
                return Redirect.to(WebURL.emailSettings(done: "smtp"))
            } catch let error as RapportError where error.kind == .validation || error.kind == .conflict {
                return try await page(principal, error: error.message, flash: nil, status: .unprocessableContent)
            }
        }
        group.post("/settings/email/smtp/remove") { request, context in
            let (principal, _) = try await context.signedInForm(request)
            try await smtpSettings.remove(principal, ip: context.remoteIP)
            return Redirect.to(WebURL.emailSettings(done: "smtp-removed"))
        }
        group.post("/settings/email/templates") { request, context in
            let (principal, form) = try await context.signedInForm(request)
            do {
                _ = try await emails.createTemplate(principal, name: form["name"] ?? "", subject: form["subject"],
                                                    text: form["text"], html: form["html"], ip: context.remoteIP)
                return Redirect.to(WebURL.emailSettings(done: "template"))
            } catch let error as RapportError where error.kind == .validation || error.kind == .conflict {
                let values = ["name": form["name"] ?? "", "subject": form["subject"] ?? "", "text": form["text"] ?? "",
                              "html": form["html"] ?? ""]
                return try await page(principal, error: error.message, flash: nil, values: values, status: .unprocessableContent)
            }
        }
        group.post("/settings/email/suppressions") { request, context in
            let (principal, form) = try await context.signedInForm(request)
            do {
                _ = try await emails.suppress(principal, address: form["address"] ?? "", note: form["note"], ip: context.remoteIP)
                return Redirect.to(WebURL.emailSettings(done: "suppressed"))
            } catch let error as RapportError where error.kind == .validation {
                return try await page(principal, error: error.message, flash: nil, status: .unprocessableContent)
            }
        }
        group.post("/settings/email/suppressions/remove") { request, context in
            let (principal, form) = try await context.signedInForm(request)
            try await emails.unsuppress(principal, address: form["address"] ?? "", ip: context.remoteIP)
            return Redirect.to(WebURL.emailSettings(done: "unsuppressed"))
        }
    }

    private func page(_ principal: Principal, error: String?, flash: String?, values: [String: String] = [:],
                      status: HTTPResponse.Status = .ok) async throws -> Response {
        try principal.require(Permission.manageWorkspace.leastRole)
        let latest = try await emails.list(principal, state: nil, customerId: nil, page: PageRequest(limit: 50))
        let suppressed = try await emails.suppressions(principal, page: PageRequest(limit: PageRequest.maxLimit))
        let templates = try await emails.templates(principal, page: PageRequest(limit: PageRequest.maxLimit))
        let view = try await smtpSettings.view(principal)
        let form = EmailSettingsPage.SMTPForm(source: view.source.rawValue, host: view.host, port: view.port, security: view.security,
                                              username: view.username, passwordSet: view.passwordSet, from: view.from,
                                              canStorePasswords: view.canStorePasswords)
        let model = EmailSettingsPage(server: view.server, sender: view.from, passwordUnreadable: view.passwordUnreadable, smtp: form,
                                      ratePerMinute: ratePerMinute,
                                      emails: latest.items, suppressions: suppressed.items, templates: templates.items,
                                      values: values, error: error, flash: flash, timeZone: principal.displayZone)
        return try await pages.html(model, for: principal, status: status)
    }
}

/// The unsubscribe links of sent emails: no sign-in, the token in the path is the authority. `GET` shows what the
/// link is for and a button; `POST` (the button, or a mail client's one-click unsubscribe of RFC 8058 with the body
/// `List-Unsubscribe=One-Click`) withdraws the consent.
struct UnsubscribePages: Sendable {
    let emails: EmailService
    let web: WebRenderer

    func add(to router: Router<AppRequestContext>) {
        router.get("/unsubscribe/:token") { _, context in
            let token = context.parameters.get("token") ?? ""
            guard LinkToken.plausible(token), let target = try await emails.unsubscribeTarget(token: token) else {
                throw Self.unknownLink
            }
            return htmlResponse(web.render(UnsubscribePage(target: target, actionURL: WebURL.unsubscribe(token), done: false)))
        }
        router.post("/unsubscribe/:token") { _, context in
            let token = context.parameters.get("token") ?? ""
            guard LinkToken.plausible(token), let target = try await emails.unsubscribe(token: token) else { throw Self.unknownLink }
            return htmlResponse(web.render(UnsubscribePage(target: target, actionURL: WebURL.unsubscribe(token), done: true)))
        }
    }

    static let unknownLink = RapportError(.notFound, code: "not_found",
                                          message: "This unsubscribe link is not valid (any more). Nothing was changed.")
}
