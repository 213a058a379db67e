import Foundation
import Hummingbird
import RapportCore
import RapportWeb

/// Accounts (companies, from `group` calls): the list, and one account with its traits and members. Mounted on the
/// session group.
struct AccountPages: Sendable {
    let accounts: AccountService
    let customers: CustomerService
    let pages: PageResponder

    func add(to group: RouterGroup<AppRequestContext>) {
        group.get("/accounts") { request, context in
            let principal = try context.requirePrincipal()
            let found = try await accounts.list(principal, page: try request.pageRequest())
            return try await pages.html(AccountsPage(found: found, timeZone: principal.displayZone), for: principal)
        }
        group.get("/accounts/:account_id") { request, context in
            let principal = try context.requirePrincipal()
            let (account, memberCount) = try await accounts.get(principal, id: try context.id("account_id", of: "account"))
            let members = try await customers.list(principal, query: CustomerQuery(accountId: account.id),
                                                   page: try request.pageRequest())
            return try await pages.html(AccountPage(account: account, memberCount: memberCount, members: members,
                                                    timeZone: principal.displayZone), for: principal)
        }
    }
}
