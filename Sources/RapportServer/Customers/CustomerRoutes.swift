import Foundation
import Hummingbird
import RapportCore

extension APIRoutes {
    /// `/customers…`: profiles, timeline, consent, export and erasure.
    func addCustomerRoutes(customers: CustomerService, orders: OrderService) {
        get("customers", least: .analyst) { request, _, principal in
            let query = CustomerQuery(search: request.uri.queryParameters.get("search"),
                                      email: request.uri.queryParameters.get("email"),
                                      segmentId: try request.optionalUUIDParameter("segment_id"),
                                      accountId: try request.optionalUUIDParameter("account_id"))
            let page = try await customers.list(principal, query: query, page: try request.pageRequest())
            return JSONResponse.page(page) { $0.json }
        }

        post("customers", least: .agent) { request, context, principal in
            let body = try await JSONBody.read(request, context: context, allowed: ["traits", "identifiers"])
            let traits = try body.object("traits") ?? [:]
            let identifiers = try (body.array("identifiers") ?? []).enumerated().map { index, value throws(RapportError) in
                try Identifier.parse(value, field: "identifiers[\(index)]")
            }
            let customer = try await customers.create(principal, traits: traits, identifiers: identifiers)
            return JSONResponse.make(customer.json, status: .created)
        }

        get("customers/:customer_id", least: .analyst) { _, context, principal in
            let profile = try await customers.profile(principal, id: try context.id("customer_id", of: "customer"))
            return JSONResponse.make(profile.json)
        }

        patch("customers/:customer_id", least: .agent) { request, context, principal in
            let id = try context.id("customer_id", of: "customer")
            let body = try await JSONBody.read(request, context: context, allowed: ["traits"])
            guard let traits = try body.object("traits") else { throw RapportError.invalid("traits", "traits is required.") }
            return JSONResponse.make(try await customers.updateTraits(principal, id: id, traits: traits).json)
        }

        delete("customers/:customer_id", least: .admin) { _, context, principal in
            try await customers.erase(principal, id: try context.id("customer_id", of: "customer"))
            return JSONResponse.noContent
        }

        get("customers/:customer_id/export", least: .admin) { _, context, principal in
            JSONResponse.make(try await customers.export(principal, id: try context.id("customer_id", of: "customer")))
        }

        post("customers/:customer_id/merge", least: .agent) { request, context, principal in
            let id = try context.id("customer_id", of: "customer")
            let body = try await JSONBody.read(request, context: context, allowed: ["customer_id"])
            let other = try body.string("customer_id")
            guard IDGenerator.isUUID(other) else { throw RapportError.notFound("customer") }
            return JSONResponse.make(try await customers.merge(principal, id: id, otherId: other.lowercased()).json)
        }

        get("customers/:customer_id/timeline", least: .analyst) { request, context, principal in
            let id = try context.id("customer_id", of: "customer")
            let page = try await customers.timeline(principal, id: id, kinds: try request.activityKinds(),
                                                             page: try request.pageRequest())
            return JSONResponse.page(page) { $0.json }
        }

        get("customers/:customer_id/consents", least: .analyst) { _, context, principal in
            let profile = try await customers.profile(principal, id: try context.id("customer_id", of: "customer"))
            return JSONResponse.make(["current": .array(ConsentRecord.current(profile.consents).map(\.json)),
                                      "history": .array(profile.consents.reversed().map(\.json))])
        }

        post("customers/:customer_id/consents", least: .agent) { request, context, principal in
            let id = try context.id("customer_id", of: "customer")
            let body = try await JSONBody.read(request, context: context, allowed: ["purpose", "channel", "status", "source"])
            let status = try Validation.oneOf(try body.string("status"), field: "status", as: ConsentRecord.Status.self)
            let source = try body.optionalString("source").map { raw throws(RapportError) in try Validation.name(raw, field: "source") }
            let record = try await customers.recordConsent(
                principal, id: id, purpose: try body.string("purpose"), channel: try body.optionalString("channel") ?? "any",
                status: status, source: source ?? "api")
            return JSONResponse.make(record.json, status: .created)
        }

        get("customers/:customer_id/contactability", least: .analyst) { request, context, principal in
            let id = try context.id("customer_id", of: "customer")
            guard let purpose = request.uri.queryParameters.get("purpose"), !purpose.isEmpty else {
                throw RapportError(.badRequest, code: "invalid_parameter", message: "purpose is required.", details: ["field": "purpose"])
            }
            let channel = request.uri.queryParameters.get("channel") ?? "any"
            let decision = try await customers.mayContact(principal, id: id, purpose: purpose, channel: channel)
            return JSONResponse.make(["purpose": .string(purpose), "channel": .string(channel), "allowed": .bool(decision.allowed),
                                      "reason": .string(decision.reason)])
        }

        get("customers/:customer_id/orders", least: .analyst) { request, context, principal in
            let id = try context.id("customer_id", of: "customer")
            let page = try await orders.orders(principal, customerId: id, page: try request.pageRequest())
            return JSONResponse.page(page) { $0.json }
        }
    }
}
