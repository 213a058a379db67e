import Hummingbird
import RapportCore

extension APIRoutes {
    /// `/webhooks…`: the workspace's webhook endpoints, their delivery log, test events and replays (admins).
    func addWebhookRoutes(webhooks: WebhookService) {
        get("webhooks", least: .admin) { request, _, principal in
            try JSONResponse.page(try await webhooks.list(principal, page: try request.pageRequest())) { try $0.json }
        }

        post("webhooks", least: .admin) { request, context, principal in
            let body = try await JSONBody.read(request, context: context, allowed: ["url", "event_types", "description"])
            guard let types = try body.strings("event_types") else {
                throw RapportError.invalid("event_types", "event_types is required.")
            }
            let endpoint = try await webhooks.create(principal, url: try body.string("url"),
                                                     description: try body.optionalString("description"), eventTypes: types,
                                                     ip: context.remoteIP)
            return JSONResponse.make(try endpoint.json, status: .created)
        }

        get("webhooks/:webhook_id", least: .admin) { _, context, principal in
            JSONResponse.make(try await webhooks.get(principal, id: try context.id("webhook_id", of: "webhook")).json)
        }

        patch("webhooks/:webhook_id", least: .admin) { request, context, principal in
            let id = try context.id("webhook_id", of: "webhook")
            let body = try await JSONBody.read(request, context: context, allowed: ["url", "event_types", "description", "enabled"])
            let description: String?? = body.has("description") ? .some(try body.optionalString("description")) : .none
            let endpoint = try await webhooks.update(
                principal, id: id, url: body.has("url") ? try body.string("url") : nil, description: description,
                eventTypes: try body.strings("event_types"), enabled: try body.bool("enabled"), ip: context.remoteIP)
            return JSONResponse.make(try endpoint.json)
        }

        delete("webhooks/:webhook_id", least: .admin) { _, context, principal in
            try await webhooks.delete(principal, id: try context.id("webhook_id", of: "webhook"), ip: context.remoteIP)
            return JSONResponse.noContent
        }

        get("webhooks/:webhook_id/deliveries", least: .admin) { request, context, principal in
            let id = try context.id("webhook_id", of: "webhook")
            return JSONResponse.page(try await webhooks.deliveries(principal, endpointId: id, page: try request.pageRequest())) { $0.json }
        }

        post("webhooks/:webhook_id/rotate-secret", least: .admin) { request, context, principal in
            let id = try context.id("webhook_id", of: "webhook")
            // The body is optional: without one the previous secret overlaps for the default day.
            let body = request.headers[.contentType] == nil
                ? JSONBody(fields: [:]) : try await JSONBody.read(request, context: context, allowed: ["overlap_seconds"])
            let overlap = try body.fields["overlap_seconds"]?.nonNull.map { (raw) throws(RapportError) in
                try Validation.integer(raw, "overlap_seconds", 0...WebhookService.maxOverlapSeconds)
            }
            let endpoint = try await webhooks.rotateSecret(principal, id: id, overlapSeconds: overlap, ip: context.remoteIP)
            return JSONResponse.make(try endpoint.json)
        }

        post("webhooks/:webhook_id/test", least: .admin) { _, context, principal in
            let delivery = try await webhooks.sendTest(principal, id: try context.id("webhook_id", of: "webhook"))
            return JSONResponse.make(delivery.json, status: .accepted)
        }

        post("webhooks/:webhook_id/deliveries/:delivery_id/replay", least: .admin) { _, context, principal in
            let delivery = try await webhooks.replay(principal, endpointId: try context.id("webhook_id", of: "webhook"),
                                                     deliveryId: try context.id("delivery_id", of: "delivery"))
            return JSONResponse.make(delivery.json, status: .accepted)
        }
    }
}

extension WebhookEndpoint {
    /// Throws `secret_unreadable` when the secret cannot be read.
    var json: JSONValue {
        get throws {
            [
                "id": .string(id), "url": .string(url), "description": JSONValue(description),
                "event_types": .array(eventTypes.map { .string($0.rawValue) }), "enabled": .bool(enabled),
                "secret": .string(try signingSecret()), "disabled_reason": JSONValue(disabledReason),
                "failing_since": JSONValue(failingSince.map(Timestamp.iso8601)),
                "previous_secret_expires_at": JSONValue(previousSecretExpiresAt.map(Timestamp.iso8601)),
                "created_at": .string(Timestamp.iso8601(createdAt)), "updated_at": .string(Timestamp.iso8601(updatedAt)),
            ]
        }
    }
}

extension WebhookDelivery {
    var json: JSONValue {
        [
            "id": .string(id), "endpoint_id": .string(endpointId), "message_id": .string(messageId),
            "event_type": .string(eventType.rawValue), "payload": JSONValue.parse(payload) ?? .string(payload),
            "status": .string(status.rawValue), "attempts": JSONValue(attempts), "response_status": JSONValue(responseStatus),
            "response_excerpt": JSONValue(responseExcerpt), "duration_ms": JSONValue(durationMillis),
            "created_at": .string(Timestamp.iso8601(createdAt)),
            "last_attempt_at": JSONValue(lastAttemptAt.map(Timestamp.iso8601)),
        ]
    }
}
