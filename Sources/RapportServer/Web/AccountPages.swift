import Foundation
import Hummingbird
import RapportCore
import RapportRuntime
import RapportWeb

/// Accounts (companies, from `group` calls): the list, and one account with its traits and members.
extension WebRoutes {
    func addAccountPages(to router: Router<AppRequestContext>) {
        router.get("/accounts") { request, _ in try await withSession(request) { try await accountList($0, request) } }
        router.get("/accounts/:account_id") { request, context in
            try await withSession(request) {
                try await accountPage($0, id: try context.id("account_id", of: "account"), request: request)
            }
        }
    }

    private func accountList(_ principal: Principal, _ request: Request) async throws -> Response {
        let found = try await services.accounts.list(principal, page: try request.pageRequest())
        let extra: [String: Any] = [
            "next_cursor": found.nextCursor as Any,
            "accounts": found.items.map { account -> [String: Any] in
                ["id": account.id, "name": account.name ?? account.groupId, "group_id": account.groupId,
                 "plan": account.traits["plan"]?.stringValue ?? "", "industry": account.traits["industry"]?.stringValue ?? "",
                 "updated_at": Timestamp.iso8601(account.updatedAt)]
            },
        ]
        return htmlResponse(web.render("accounts", try await page(principal, extra)))
    }

    private func accountPage(_ principal: Principal, id: String, request: Request) async throws -> Response {
        let (account, memberCount) = try await services.accounts.get(principal, id: id)
        let members = try await services.customers.list(principal, query: CustomerQuery(accountId: account.id),
                                                        page: try request.pageRequest())
        let extra: [String: Any] = [
            "account": ["id": account.id, "name": account.name ?? account.groupId, "group_id": account.groupId,
                        "member_count": memberCount, "created_at": Timestamp.iso8601(account.createdAt),
                        "updated_at": Timestamp.iso8601(account.updatedAt)] as [String: Any],
            "traits": account.traits.sorted { $0.key < $1.key }
                .map { ["key": $0.key, "value": $0.value.stringValue ?? $0.value.jsonText] },
            "members": members.items.map { customer -> [String: Any] in
                ["id": customer.id, "name": customer.name ?? customer.email ?? "Anonymous visitor", "email": customer.email ?? "",
                 "last_seen_at": Timestamp.iso8601(customer.lastSeenAt)]
            },
            "next_cursor": members.nextCursor as Any,
        ]
        return htmlResponse(web.render("account", try await page(principal, extra)))
    }
}
