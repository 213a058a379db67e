import Foundation
import Hummingbird
import RapportCore
import RapportRuntime
import RapportWeb

/// The customer list, the profile page with its timeline, and segments.
extension WebRoutes {
    func addCustomerPages(to router: Router<AppRequestContext>) {
        router.get("/customers") { request, _ in try await withSession(request) { try await customerList($0, request) } }
        router.get("/customers/:customer_id") { request, context in
            try await withSession(request) {
                try await customerPage($0, id: try context.id("customer_id", of: "customer"), request: request)
            }
        }
        router.post("/customers/:customer_id/consent") { request, context in try await recordConsent(request, context) }
        router.post("/customers/:customer_id/merge") { request, context in try await mergeDuplicate(request, context) }
        router.get("/segments") { request, _ in try await withSession(request) { try await segmentList($0, error: nil) } }
        router.post("/segments") { request, context in try await createSegment(request, context) }
    }

    private func customerList(_ principal: Principal, _ request: Request) async throws -> Response {
        let search = request.uri.queryParameters.get("search").map { String($0) }
        let segmentId = try request.optionalUUIDParameter("segment_id")
        let found = try await services.customers.list(principal, query: CustomerQuery(search: search, segmentId: segmentId),
                                                      page: try request.pageRequest())
        var extra: [String: Any] = [
            "search": search ?? "", "segment_id": segmentId as Any, "next_cursor": found.nextCursor as Any,
            "matches_capped_at": found.matchLimit as Any,
            "search_param": (search ?? "").addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "",
            "customers": found.items.map { customer -> [String: Any] in
                ["id": customer.id, "name": customer.name ?? customer.email ?? "Anonymous visitor", "email": customer.email ?? "",
                 "first_seen_at": Timestamp.iso8601(customer.firstSeenAt), "last_seen_at": Timestamp.iso8601(customer.lastSeenAt)]
            },
        ]
        if let segmentId { extra["segment_name"] = try await services.segments.get(principal, id: segmentId).name }
        return htmlResponse(web.render("customers", try await page(principal, extra)))
    }

    private func customerPage(_ principal: Principal, id: String, request: Request, error: String? = nil,
                              status: HTTPResponse.Status = .ok) async throws -> Response {
        let profile = try await services.customers.profile(principal, id: id)
        let flash = request.uri.queryParameters.get("done").flatMap { Self.customerPageNotices[String($0)] }
        let type = request.uri.queryParameters.get("type").map { String($0) }.flatMap { $0.isEmpty ? nil : $0 }
        let kinds = try request.activityKinds()
        let timeline = try await services.customers.timeline(principal, id: profile.customer.id, kinds: kinds,
                                                             page: try request.pageRequest())
        let customer = profile.customer
        let currency = profile.purchases.currency
        let extra: [String: Any] = [
            "error": error as Any, "flash": flash as Any,
            "can_write": principal.role.satisfies(Permission.writeData.leastRole),
            "purposes": ContactPolicy.knownPurposes.map { ["value": $0] },
            "channels": ContactPolicy.channels.map { ["value": $0, "selected": $0 == "any"] },
            "types": ActivityKind.allCases.map { ["value": $0.rawValue, "selected": kinds == [$0]] },
            "type": type as Any, "next_cursor": timeline.nextCursor as Any,
            "customer": ["id": customer.id, "display_name": customer.name ?? customer.email ?? "Anonymous visitor",
                         "email": customer.email ?? "no email", "first_seen_at": Timestamp.iso8601(customer.firstSeenAt),
                         "last_seen_at": Timestamp.iso8601(customer.lastSeenAt)] as [String: Any],
            "can_export": principal.role.satisfies(.admin),
            "purchases": ["revenue": Money.format(minorUnits: profile.purchases.revenueMinorUnits, currency: currency),
                          "order_count": profile.purchases.orderCount,
                          "average_order_value": Money.format(minorUnits: profile.purchases.averageOrderValueMinorUnits,
                                                               currency: currency),
                          "repeat": profile.purchases.isRepeatPurchaser, "currency": profile.purchases.currency ?? "",
                          "other_currencies": profile.purchases.byCurrency.dropFirst().map {
                              ["currency": $0.currency, "revenue": Money.format(minorUnits: $0.revenueMinorUnits, currency: $0.currency),
                               "order_count": $0.orderCount]
                          }] as [String: Any],
            "identifiers": profile.identifiers.map { ["label": $0.description] },
            "consents": ConsentRecord.current(profile.consents).map {
                ["purpose": $0.purpose, "channel": $0.channel, "status": $0.status.rawValue, "source": $0.source,
                 "recorded_at": Timestamp.iso8601($0.recordedAt)]
            },
            "traits": customer.traits.sorted { $0.key < $1.key }.map { ["key": $0.key, "value": $0.value.stringValue ?? $0.value.jsonText] },
            "has_accounts": !profile.accounts.isEmpty,
            "accounts": profile.accounts.map { ["id": $0.id, "name": $0.name ?? $0.groupId] },
            "has_merges": !profile.merges.isEmpty,
            "merges": profile.merges.map { ["merged_id": $0.mergedId, "reason": $0.reason, "merged_at": Timestamp.iso8601($0.mergedAt)] },
            "timeline": timeline.items.map { activity -> [String: Any] in
                let orderCurrency = activity.properties["currency"]?.stringValue
                let lines = (activity.properties["products"]?.arrayValue ?? []).map { line -> [String: Any] in
                    ["name": line["name"]?.stringValue ?? line["product_id"]?.stringValue ?? "item",
                     "quantity": Int(exactly: (line["quantity"]?.numberValue ?? 1).rounded()) ?? 0,
                     "price": Money.format(minorUnits: line["price"].flatMap {
                         Money.minorUnits($0, currency: orderCurrency, acceptStrings: true) } ?? 0, currency: orderCurrency),
                     "currency": orderCurrency ?? ""]
                }
                return ["type": activity.kind.rawValue, "name": activity.name ?? "", "occurred_at": Timestamp.iso8601(activity.occurredAt),
                        "has_lines": !lines.isEmpty, "lines": lines]
            },
        ]
        return htmlResponse(web.render("customer", try await self.page(principal, extra)), status: status)
    }

    /// What the profile page says after a change made on it (`?done=…`, set by the redirect after the post).
    static let customerPageNotices = [
        "consent": "Consent recorded; the list below is what applies now.",
        "merged": "The two profiles are now one.",
    ]

    /// Records a consent change from the profile page (e.g. a customer who asked on the phone to stop emails).
    private func recordConsent(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let (principal, form) = try await signedInForm(request, context) else { return Redirect.to("/login") }
        let id = try context.id("customer_id", of: "customer")
        do {
            let status = try Validation.oneOf(form["status"], field: "status", as: ConsentRecord.Status.self)
            let who = principal.user?.email ?? "web"
            _ = try await services.customers.recordConsent(
                principal, id: id, purpose: (form["purpose"] ?? "").trimmed, channel: form["channel"] ?? "any", status: status,
                source: "web:\(who)")
            // Post/redirect/get: a reload shows the page again instead of recording the change twice.
            return Redirect.to("/customers/\(id)?done=consent")
        } catch let error as RapportError where [.validation, .forbidden].contains(error.kind) {
            return try await customerPage(principal, id: id, request: request, error: error.message, status: error.kind.status)
        }
    }

    /// Merges a duplicate profile, named by its email or id, with this one (the older profile survives, as in
    /// automatic merges), then shows the surviving profile.
    private func mergeDuplicate(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let (principal, form) = try await signedInForm(request, context) else { return Redirect.to("/login") }
        let id = try context.id("customer_id", of: "customer")
        do {
            let named = (form["duplicate"] ?? "").trimmed
            guard !named.isEmpty else { throw RapportError.invalid("duplicate", "Name the duplicate by its email or profile id.") }
            let otherId: String
            if IDGenerator.isUUID(named) {
                otherId = named.lowercased()
            } else {
                let email = try Validation.email(named)
                guard let other = try await services.customers.list(principal, query: CustomerQuery(email: email),
                                                                    page: PageRequest(limit: 1)).items.first else {
                    throw RapportError.invalid("duplicate", "No profile has the email \(email).")
                }
                otherId = other.id
            }
            let current = try await services.customers.find(principal, id: id)
            guard current.id != otherId else { throw RapportError.invalid("duplicate", "That is this profile.") }
            let survivor = try await services.customers.merge(principal, id: current.id, otherId: otherId)
            return Redirect.to("/customers/\(survivor.id)?done=merged")
        } catch let error as RapportError where [.validation, .forbidden, .notFound].contains(error.kind) {
            let message = error.kind == .notFound ? "No profile has that id." : error.message
            return try await customerPage(principal, id: id, request: request, error: message,
                                          status: error.kind == .notFound ? .unprocessableContent : error.kind.status)
        }
    }

    private func segmentList(_ principal: Principal, error: String?, values: [String: String] = [:],
                             status: HTTPResponse.Status = .ok) async throws -> Response {
        let segments = try await services.segments.list(principal, page: PageRequest(limit: PageRequest.maxLimit))
        let extra: [String: Any] = [
            "error": error as Any, "values": values, "can_write": principal.role.satisfies(.agent),
            "segments": segments.items.map { segment -> [String: Any] in
                ["id": segment.id, "name": segment.name, "member_count": segment.memberCount, "rule": segment.rule.json.jsonText,
                 "refreshed_at": segment.refreshedAt.map(Timestamp.iso8601) ?? "never"]
            },
        ]
        return htmlResponse(web.render("segments", try await page(principal, extra)), status: status)
    }

    private func createSegment(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let (principal, form) = try await signedInForm(request, context) else { return Redirect.to("/login") }
        let values = ["name": form["name"] ?? "", "rule": form["rule"] ?? ""]
        do {
            guard let rule = JSONValue.parse(form["rule"] ?? "") else {
                throw RapportError.invalid("rule", "The rule is not valid JSON.")
            }
            _ = try await services.segments.create(principal, name: form["name"] ?? "", description: nil, rule: rule)
            return Redirect.to("/segments")
        } catch let error as RapportError where [.validation, .forbidden].contains(error.kind) {
            return try await segmentList(principal, error: error.message, values: values, status: error.kind.status)
        }
    }
}
