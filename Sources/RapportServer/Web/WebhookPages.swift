import Hummingbird
import RapportCore
import RapportWeb

/// Webhook endpoints in the browser (admins): the list and the form to add one; one endpoint with its secret and
/// delivery log, and the test, enable/disable, delete and replay actions. Mounted on the session group.
struct WebhookPages: Sendable {
    let webhooks: WebhookService
    let pages: PageResponder
    let clock: WallClock

    static let notices = [
        "created": "The endpoint is added. Give its signing secret to the receiving system.",
        "test": "A test event is on its way; its delivery is listed below.",
        "enabled": "The endpoint is enabled.", "disabled": "The endpoint is disabled; events are no longer sent to it.",
        "deleted": "The endpoint and its delivery log are deleted.", "replayed": "The delivery is sent again.",
        "rotated": "The endpoint has a new signing secret. Give it to the receiving system.",
    ]

    func add(to group: RouterGroup<AppRequestContext>) {
        group.get("/settings/webhooks") { request, context in
            try await listPage(try context.requirePrincipal(), error: nil, flash: notice(request))
        }
        group.post("/settings/webhooks") { request, context in try await create(request, context) }
        group.get("/settings/webhooks/:webhook_id") { request, context in
            try await endpointPage(try context.requirePrincipal(), id: try context.id("webhook_id", of: "webhook"),
                                   request: request, flash: notice(request))
        }
        group.post("/settings/webhooks/:webhook_id/test") { request, context in
            let (principal, _) = try await context.signedInForm(request)
            let id = try context.id("webhook_id", of: "webhook")
            _ = try await webhooks.sendTest(principal, id: id)
            return Redirect.to(WebURL.webhook(id, done: "test"))
        }
        group.post("/settings/webhooks/:webhook_id/rotate-secret") { request, context in
            let (principal, form) = try await context.signedInForm(request)
            let id = try context.id("webhook_id", of: "webhook")
            guard let overlap = Int(form["overlap_seconds"] ?? "") else {
                throw RapportError.invalid("overlap_seconds", "Choose how long the current secret keeps signing.")
            }
            _ = try await webhooks.rotateSecret(principal, id: id, overlapSeconds: overlap, ip: context.remoteIP)
            return Redirect.to(WebURL.webhook(id, done: "rotated"))
        }
        group.post("/settings/webhooks/:webhook_id/toggle") { request, context in
            let (principal, form) = try await context.signedInForm(request)
            let id = try context.id("webhook_id", of: "webhook")
            let enable = form["enabled"] == "true"
            _ = try await webhooks.update(principal, id: id, url: nil, description: nil, eventTypes: nil, enabled: enable,
                                          ip: context.remoteIP)
            return Redirect.to(WebURL.webhook(id, done: enable ? "enabled" : "disabled"))
        }
        group.post("/settings/webhooks/:webhook_id/delete") { request, context in
            let (principal, _) = try await context.signedInForm(request)
            try await webhooks.delete(principal, id: try context.id("webhook_id", of: "webhook"), ip: context.remoteIP)
            return Redirect.to(WebURL.webhooks(done: "deleted"))
        }
        group.post("/settings/webhooks/:webhook_id/deliveries/:delivery_id/replay") { request, context in
            let (principal, _) = try await context.signedInForm(request)
            let id = try context.id("webhook_id", of: "webhook")
            _ = try await webhooks.replay(principal, endpointId: id, deliveryId: try context.id("delivery_id", of: "delivery"))
            return Redirect.to(WebURL.webhook(id, done: "replayed"))
        }
    }

    private func notice(_ request: Request) -> String? {
        request.uri.queryParameters.get("done").flatMap { Self.notices[String($0)] }
    }

    private func listPage(_ principal: Principal, error: String?, flash: String?, checked: Set<String> = [], url: String = "",
                          description: String = "", status: HTTPResponse.Status = .ok) async throws -> Response {
        let endpoints = try await webhooks.list(principal, page: PageRequest(limit: PageRequest.maxLimit))
        let page = WebhooksPage(endpoints: endpoints.items, checked: checked, url: url, description: description, error: error,
                                flash: flash)
        return try await pages.html(page, for: principal, status: status)
    }

    private func create(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (principal, form) = try await context.signedInForm(request)
        let types = form.all("event_types")
        do {
            let endpoint = try await webhooks.create(principal, url: form["url"] ?? "", description: form["description"],
                                                     eventTypes: types, ip: context.remoteIP)
            return Redirect.to(WebURL.webhook(endpoint.id, done: "created"))
        } catch let error as RapportError where error.kind == .validation {
            return try await listPage(principal, error: error.message, flash: nil, checked: Set(types), url: form["url"] ?? "",
                                      description: form["description"] ?? "", status: .unprocessableContent)
        }
    }

    private func endpointPage(_ principal: Principal, id: String, request: Request, flash: String?) async throws -> Response {
        let endpoint = try await webhooks.get(principal, id: id)
        let log = try await webhooks.deliveries(principal, endpointId: id, page: try request.pageRequest())
        let rotated = request.uri.queryParameters.get("done") == "rotated"
        return try await pages.html(WebhookPage(endpoint: endpoint, deliveries: log, error: nil, flash: flash,
                                                timeZone: principal.displayZone, now: clock.nowMillis, showSecret: rotated),
                                    for: principal)
    }
}
