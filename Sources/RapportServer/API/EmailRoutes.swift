import Foundation
import Hummingbird
import RapportCore
import RapportRuntime

extension APIRoutes {
    /// `/emails…` and `/email/…`: sending an email, the outbox, the suppression list, templates and the SMTP test.
    func addEmailRoutes(emails: EmailService, smtpSettings: WorkspaceSMTPService, smtpTest: SMTPTestSender) {
        get("emails", least: .analyst) { request, _, principal in
            let state = try request.enumParameter("state", as: OutboundEmail.State.self)
            let customerId = try request.optionalUUIDParameter("customer_id")
            return JSONResponse.page(try await emails.list(principal, state: state, customerId: customerId,
                                                           page: try request.pageRequest())) { $0.json }
        }

        post("emails", least: .agent) { request, context, principal in
            let body = try await JSONBody.read(request, context: context, allowed: [
                "customer_id", "to", "template_id", "subject", "text", "html", "purpose", "data"])
            let customerId = try body.optionalString("customer_id")
            if let customerId, !IDGenerator.isUUID(customerId) {
                throw RapportError.invalid("customer_id", "customer_id must be a customer's id (a UUID).")
            }
            let templateId = try body.optionalString("template_id")
            if let templateId, !IDGenerator.isUUID(templateId) {
                throw RapportError.invalid("template_id", "No email template with that id exists in this workspace.")
            }
            let email = try await emails.send(principal, EmailService.SendRequest(
                customerId: customerId?.lowercased(), to: try body.optionalString("to"), templateId: templateId?.lowercased(),
                subject: try body.optionalString("subject"), text: try body.optionalString("text"),
                html: try body.optionalString("html"), purpose: try body.optionalString("purpose"),
                data: try body.object("data").map(JSONValue.object) ?? [:]))
            return JSONResponse.make(email.json, status: .accepted)
        }

        get("emails/:email_id", least: .analyst) { _, context, principal in
            JSONResponse.make(try await emails.get(principal, id: try context.id("email_id", of: "email")).json)
        }

        post("email/test", least: .admin) { request, context, principal in
            let body = try await JSONBody.read(request, context: context, allowed: ["to"])
            let outcome = try await smtpTest.send(to: try body.string("to"), workspace: principal.workspace)
            return JSONResponse.make([
                "delivered": .bool(outcome.delivered), "reply": .string(outcome.reply),
                "temporary": .bool(outcome.temporary), "message_id": JSONValue(outcome.messageId),
            ])
        }

        get("email/smtp", least: .admin) { _, _, principal in
            JSONResponse.make(try await smtpSettings.view(principal).json)
        }

        put("email/smtp", least: .admin) { request, context, principal in
            let body = try await JSONBody.read(request, context: context,
                                               allowed: ["host", "port", "security", "username", "password", "from"])
            var port: Int?
            if let number = try body.number("port") {
                guard number.rounded() == number, (1...65535).contains(number) else {
                    throw RapportError.invalid("port", "port must be a whole number from 1 to 65535.")
                }
                port = Int(number)
            }
            let password: String?? = body.has("password") ? .some(try body.optionalString("password")) : .none
            let view = try await smtpSettings.save(
                principal, host: try body.string("host"), port: port, security: try body.optionalString("security"),
                username: try body.optionalString("username"), password: password, from: try body.string("from"),
                ip: context.remoteIP)
            return JSONResponse.make(view.json)
        }

        delete("email/smtp", least: .admin) { _, context, principal in
            try await smtpSettings.remove(principal, ip: context.remoteIP)
            return JSONResponse.noContent
        }

        get("email/suppressions", least: .analyst) { request, _, principal in
            JSONResponse.page(try await emails.suppressions(principal, page: try request.pageRequest())) { $0.json }
        }

        post("email/suppressions", least: .admin) { request, context, principal in
            let body = try await JSONBody.read(request, context: context, allowed: ["address", "note"])
            let entry = try await emails.suppress(principal, address: try body.string("address"),
                                                  note: try body.optionalString("note"), ip: context.remoteIP)
            return JSONResponse.make(entry.json, status: .created)
        }

        delete("email/suppressions/:address", least: .admin) { _, context, principal in
            guard let address = context.parameters.get("address")?.removingPercentEncoding else {
                throw RapportError(.notFound, code: "not_found", message: "That address is not on the suppression list.")
            }
            try await emails.unsuppress(principal, address: address, ip: context.remoteIP)
            return JSONResponse.noContent
        }

        get("email/templates", least: .analyst) { request, _, principal in
            JSONResponse.page(try await emails.templates(principal, page: try request.pageRequest())) { $0.json }
        }

        post("email/templates", least: .admin) { request, context, principal in
            let body = try await JSONBody.read(request, context: context, allowed: ["name", "subject", "text", "html"])
            let template = try await emails.createTemplate(
                principal, name: try body.string("name"), subject: try body.optionalString("subject"),
                text: try body.optionalString("text"), html: try body.optionalString("html"), ip: context.remoteIP)
            return JSONResponse.make(template.json, status: .created)
        }

        get("email/templates/:template_id", least: .analyst) { _, context, principal in
            JSONResponse.make(try await emails.template(principal, id: try context.id("template_id", of: "email template")).json)
        }

        patch("email/templates/:template_id", least: .admin) { request, context, principal in
            let id = try context.id("template_id", of: "email template")
            let body = try await JSONBody.read(request, context: context, allowed: ["name", "subject", "text", "html"])
            let html: String?? = body.has("html") ? .some(try body.optionalString("html")) : .none
            let template = try await emails.updateTemplate(
                principal, id: id, name: body.has("name") ? try body.string("name") : nil,
                subject: body.has("subject") ? try body.string("subject") : nil,
                text: body.has("text") ? try body.string("text") : nil, html: html, ip: context.remoteIP)
            return JSONResponse.make(template.json)
        }

        delete("email/templates/:template_id", least: .admin) { _, context, principal in
            try await emails.deleteTemplate(principal, id: try context.id("template_id", of: "email template"), ip: context.remoteIP)
            return JSONResponse.noContent
        }
    }
}

extension OutboundEmail {
    var json: JSONValue {
        [
            "id": .string(id), "customer_id": JSONValue(customerId), "to": .string(recipient), "purpose": JSONValue(purpose),
            "template_id": JSONValue(templateId), "subject": .string(subject), "text": .string(textBody),
            "html": JSONValue(htmlBody), "state": .string(state.rawValue), "reason": JSONValue(reason),
            "attempts": JSONValue(attempts), "last_reply": JSONValue(lastReply), "message_id": .string(messageId),
            "source": .string(source), "created_at": .string(Timestamp.iso8601(createdAt)),
            "updated_at": .string(Timestamp.iso8601(updatedAt)), "sent_at": JSONValue(sentAt.map(Timestamp.iso8601)),
        ]
    }
}

extension EmailSuppression {
    var json: JSONValue {
        ["address": .string(address), "reason": .string(reason.rawValue), "detail": JSONValue(detail),
         "created_at": .string(Timestamp.iso8601(createdAt))]
    }
}

extension EmailTemplate {
    var json: JSONValue {
        ["id": .string(id), "name": .string(name), "subject": .string(content.subject), "text": .string(content.text),
         "html": JSONValue(content.html), "created_at": .string(Timestamp.iso8601(createdAt)),
         "updated_at": .string(Timestamp.iso8601(updatedAt))]
    }
}

extension WorkspaceSMTPService.View {
    var json: JSONValue {
        ["source": .string(source.rawValue), "host": JSONValue(host), "port": JSONValue(port), "security": JSONValue(security),
         "username": JSONValue(username), "password_set": .bool(passwordSet), "from": JSONValue(from),
         "updated_at": JSONValue(updatedAt.map(Timestamp.iso8601)), "can_store_passwords": .bool(canStorePasswords)]
    }
}
