import Foundation
import Hummingbird
import RapportCore
import RapportWeb

/// The customer list, the profile page with its timeline, and segments. Mounted on the session group.
struct CustomerPages: Sendable {
    let customers: CustomerService
    let segments: SegmentService
    let pages: PageResponder

    func add(to group: RouterGroup<AppRequestContext>) {
        group.get("/customers") { request, context in try await customerList(try context.requirePrincipal(), request) }
        group.get("/customers/:customer_id") { request, context in
            try await customerPage(try context.requirePrincipal(), id: try context.id("customer_id", of: "customer"),
                                   request: request)
        }
        group.post("/customers/:customer_id/consent") { request, context in try await recordConsent(request, context) }
        group.post("/customers/:customer_id/merge") { request, context in try await mergeDuplicate(request, context) }
        group.get("/segments") { _, context in try await segmentList(try context.requirePrincipal()) }
        group.post("/segments") { request, context in try await createSegment(request, context) }
        group.get("/segments/:segment_id") { request, context in
            let flash = request.uri.queryParameters.get("done").flatMap { Self.segmentPageNotices[String($0)] }
            return try await segmentPage(try context.requirePrincipal(), id: try context.id("segment_id", of: "segment"),
                                         flash: flash)
        }
        group.post("/segments/:segment_id") { request, context in try await updateSegment(request, context) }
        group.post("/segments/:segment_id/delete") { request, context in try await deleteSegment(request, context) }
    }

    private func customerList(_ principal: Principal, _ request: Request) async throws -> Response {
        let search = request.uri.queryParameters.get("search").map { String($0) }
        let segmentId = try request.optionalUUIDParameter("segment_id")
        let found = try await customers.list(principal, query: CustomerQuery(search: search, segmentId: segmentId),
                                             page: try request.pageRequest())
        let segmentName = try await segmentId.asyncMap { try await segments.get(principal, id: $0).name }
        return try await pages.html(CustomerListPage(found: found, search: search, segmentId: segmentId, segmentName: segmentName,
                                                     timeZone: principal.displayZone),
                                    for: principal)
    }

    private func customerPage(_ principal: Principal, id: String, request: Request, error: String? = nil,
                              status: HTTPResponse.Status = .ok) async throws -> Response {
        let profile = try await customers.profile(principal, id: id)
        let flash = request.uri.queryParameters.get("done").flatMap { Self.customerPageNotices[String($0)] }
        let type = request.uri.queryParameters.get("type").map { String($0) }.flatMap { $0.isEmpty ? nil : $0 }
        let kinds = try request.activityKinds()
        let timeline = try await customers.timeline(principal, id: profile.customer.id, kinds: kinds, page: try request.pageRequest())
        let page = CustomerPage(profile: profile, timeline: timeline, kinds: kinds, type: type,
                                canWrite: principal.role.satisfies(Permission.writeData.leastRole),
                                canExport: principal.role.satisfies(.admin), error: error, flash: flash,
                                timeZone: principal.displayZone)
        return try await pages.html(page, for: principal, status: status)
    }

    /// What the profile page says after a change made on it (`?done=…`, set by the redirect after the post).
    static let customerPageNotices = [
        "consent": "Consent recorded; the list below is what applies now.",
        "merged": "The two profiles are now one.",
    ]

    /// Records a consent change from the profile page (e.g. a customer who asked on the phone to stop emails).
    private func recordConsent(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (principal, form) = try await context.signedInForm(request)
        let id = try context.id("customer_id", of: "customer")
        do {
            let status = try Validation.oneOf(form["status"], field: "status", as: ConsentRecord.Status.self)
            let who = principal.user?.email ?? "web"
            _ = try await customers.recordConsent(
                principal, id: id, purpose: (form["purpose"] ?? "").trimmed, channel: form["channel"] ?? "any", status: status,
                source: "web:\(who)")
            // Post/redirect/get: a reload shows the page again instead of recording the change twice.
            return Redirect.to(WebURL.customer(id, done: "consent"))
        } catch let error as RapportError where [.validation, .forbidden].contains(error.kind) {
            return try await customerPage(principal, id: id, request: request, error: error.message, status: error.kind.status)
        }
    }

    /// Merges a duplicate profile, named by its email or id, with this one (the older profile survives, as in
    /// automatic merges), then shows the surviving profile.
    private func mergeDuplicate(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (principal, form) = try await context.signedInForm(request)
        let id = try context.id("customer_id", of: "customer")
        do {
            let named = (form["duplicate"] ?? "").trimmed
            guard !named.isEmpty else { throw RapportError.invalid("duplicate", "Name the duplicate by its email or profile id.") }
            let otherId: String
            if IDGenerator.isUUID(named) {
                otherId = named.lowercased()
            } else {
                let email = try Validation.email(named)
                guard let other = try await customers.list(principal, query: CustomerQuery(email: email),
                                                           page: PageRequest(limit: 1)).items.first else {
                    throw RapportError.invalid("duplicate", "No profile has the email \(email).")
                }
                otherId = other.id
            }
            let current = try await customers.find(principal, id: id)
            guard current.id != otherId else { throw RapportError.invalid("duplicate", "That is this profile.") }
            let survivor = try await customers.merge(principal, id: current.id, otherId: otherId)
            return Redirect.to(WebURL.customer(survivor.id, done: "merged"))
        } catch let error as RapportError where [.validation, .forbidden, .notFound].contains(error.kind) {
            let message = error.kind == .notFound ? "No profile has that id." : error.message
            return try await customerPage(principal, id: id, request: request, error: message,
                                          status: error.kind == .notFound ? .unprocessableContent : error.kind.status)
        }
    }

    /// What a segment's page says after a change made on it (`?done=…`, set by the redirect after the post).
    static let segmentPageNotices = [
        "created": "Segment created; its members are counted below.",
        "saved": "Segment saved; its members were recounted.",
    ]

    private func segmentForm(_ principal: Principal, segment: Segment?, name: String? = nil, rule: String? = nil,
                             error: RapportError? = nil) async throws -> SegmentRuleForm {
        let fields = try await segments.fieldNames(principal)
        let action = segment.map { WebURL.segment($0.id) } ?? WebURL.segments
        return SegmentRuleForm(action: action, submitLabel: segment == nil ? "Create segment" : "Save segment",
                               submitId: segment == nil ? "create-segment" : "save-segment",
                               name: name ?? segment?.name ?? "", rule: rule ?? segment.map { $0.rule.json.jsonText } ?? "",
                               fields: fields, error: error?.message, errorField: error?.details["field"],
                               segmentId: segment?.id, memberCount: segment?.memberCount)
    }

    private func segmentList(_ principal: Principal, name: String = "", rule: String = "", error: RapportError? = nil,
                             status: HTTPResponse.Status = .ok) async throws -> Response {
        let all = try await segments.list(principal, page: PageRequest(limit: PageRequest.maxLimit))
        let canWrite = principal.role.satisfies(Permission.writeData.leastRole)
        let form = canWrite ? try await segmentForm(principal, segment: nil, name: name, rule: rule, error: error) : nil
        let page = SegmentsPage(segments: all.items, canWrite: canWrite, form: form, timeZone: principal.displayZone)
        return try await pages.html(page, for: principal, status: status)
    }

    private func segmentPage(_ principal: Principal, id: String, name: String? = nil, rule: String? = nil,
                             error: RapportError? = nil, deleteError: String? = nil, flash: String? = nil,
                             status: HTTPResponse.Status = .ok) async throws -> Response {
        let segment = try await segments.get(principal, id: id)
        let canWrite = principal.role.satisfies(Permission.writeData.leastRole)
        let form = canWrite ? try await segmentForm(principal, segment: segment, name: name, rule: rule, error: error) : nil
        let page = SegmentPage(segment: segment, canWrite: canWrite, form: form, deleteError: deleteError, flash: flash,
                               timeZone: principal.displayZone)
        return try await pages.html(page, for: principal, status: status)
    }

    /// The rule the form carries: the JSON the builder wrote (or that was typed without JavaScript).
    private static func rule(_ form: FormBody) throws(RapportError) -> JSONValue {
        let text = (form["rule"] ?? "").trimmed
        guard !text.isEmpty else { throw RapportError.invalid("rule", "Add at least one condition.") }
        guard let rule = JSONValue.parse(text) else { throw RapportError.invalid("rule", "The rule is not valid JSON.") }
        return rule
    }

    private func createSegment(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (principal, form) = try await context.signedInForm(request)
        do {
            let segment = try await segments.create(principal, name: form["name"] ?? "", description: nil, rule: try Self.rule(form))
            return Redirect.to(WebURL.segment(segment.id, done: "created"))
        } catch let error as RapportError where error.kind == .validation {
            return try await segmentList(principal, name: form["name"] ?? "", rule: form["rule"] ?? "", error: error,
                                         status: error.kind.status)
        }
    }

    private func updateSegment(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (principal, form) = try await context.signedInForm(request)
        let id = try context.id("segment_id", of: "segment")
        do {
            let segment = try await segments.update(principal, id: id, name: form["name"] ?? "", description: .none,
                                                    rule: try Self.rule(form))
            return Redirect.to(WebURL.segment(segment.id, done: "saved"))
        } catch let error as RapportError where error.kind == .validation {
            return try await segmentPage(principal, id: id, name: form["name"] ?? "", rule: form["rule"] ?? "", error: error,
                                         status: error.kind.status)
        }
    }

    private func deleteSegment(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (principal, form) = try await context.signedInForm(request)
        let id = try context.id("segment_id", of: "segment")
        guard form["confirm"] == "yes" else {
            return try await segmentPage(principal, id: id, deleteError: "Tick the box to confirm the deletion.",
                                         status: .unprocessableContent)
        }
        do {
            try await segments.delete(principal, id: id)
        } catch let error as RapportError where error.kind == .conflict {
            return try await segmentPage(principal, id: id, deleteError: error.message, status: .conflict)
        }
        return Redirect.to(WebURL.segments)
    }
}

extension Optional {
    /// `map` with an asynchronous, throwing transform.
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
