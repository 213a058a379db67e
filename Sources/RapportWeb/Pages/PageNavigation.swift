import Mustache

/// The places the main navigation leads to. A page belongs to one of them (its `section`), which the navigation
/// marks with `aria-current="page"` ("you are here").
public enum NavSection: String, Sendable, CaseIterable {
    case overview, goals, customers, accounts, segments, surveys, followUps, imports
    case team, workspace, apiKeys, auditLog, email, webhooks, automation, jobs

    /// The section a page of `template` belongs to; nil for pages outside the navigation (sign-in, errors).
    static func of(template: String) -> NavSection? {
        switch template {
        case "dashboard": .overview
        case "goals": .goals
        case "customers", "customer": .customers
        case "accounts", "account": .accounts
        case "segments", "segment": .segments
        case "surveys", "survey", "survey_edit", "survey_preview", "survey_results": .surveys
        case "follow_ups", "follow_up": .followUps
        case "imports", "import": .imports
        case "team": .team
        case "workspace_settings": .workspace
        case "api_keys": .apiKeys
        case "audit_log": .auditLog
        case "email_settings": .email
        case "webhooks", "webhook": .webhooks
        case "automation_rules", "automation_rule": .automation
        case "jobs": .jobs
        default: nil
        }
    }
}

extension PageModel {
    /// Which navigation item this page sits under; derived from its template unless the page says otherwise.
    public static var section: NavSection? { NavSection.of(template: template) }
}

/// The main navigation as the layout draws it: two groups of links, each with an icon from `/static/icons.svg`.
struct PageNavigation: Sendable {
    /// Read by name without reflection (`MustacheParent`): every page draws the navigation.
    struct Item: Sendable, MustacheParent {
        let href: String
        let label: String
        let icon: String
        let current: Bool

        func child(named name: String) -> Any? {
            switch name {
            case "href": href
            case "label": label
            case "icon": icon
            case "current": current
            default: nil
            }
        }
    }

    struct Group: Sendable, MustacheParent {
        let label: String
        let items: [Item]

        func child(named name: String) -> Any? {
            switch name {
            case "label": label
            case "items": items
            default: nil
            }
        }
    }

    let groups: [Group]

    init(current: NavSection?, isAdmin: Bool) {
        func item(_ section: NavSection, _ href: String, _ label: String, _ icon: String) -> Item {
            Item(href: href, label: label, icon: icon, current: section == current)
        }
        let work = [
            item(.overview, "/", "Overview", "home"),
            item(.goals, "/goals", "Goals", "target"),
            item(.customers, "/customers", "Customers", "users"),
            item(.accounts, "/accounts", "Accounts", "building"),
            item(.segments, "/segments", "Segments", "filter"),
            item(.surveys, "/surveys", "Surveys", "chat"),
            item(.followUps, "/follow-ups", "Follow-ups", "inbox"),
            item(.imports, "/imports", "Imports", "upload"),
        ]
        var settings = [
            item(.team, "/settings/team", "Team", "team"),
            item(.workspace, "/settings/workspace", "Workspace", "settings"),
        ]
        if isAdmin {
            settings += [
                item(.apiKeys, "/settings/api-keys", "API keys", "key"),
                item(.auditLog, "/settings/audit-log", "Audit log", "list"),
                item(.email, "/settings/email", "Email", "mail"),
                item(.webhooks, "/settings/webhooks", "Webhooks", "link"),
                item(.automation, "/settings/automation", "Automation", "bolt"),
                item(.jobs, "/settings/jobs", "Jobs", "clock"),
            ]
        }
        groups = [Group(label: "Workspace", items: work), Group(label: "Settings", items: settings)]
    }
}

extension PageNavigation {
    /// The navigation of every section (and of pages outside it) for admins and for everyone else, drawn once: it is
    /// the same on every request, and drawing its twenty links through the templates cost a signed-in page more than
    /// its own content did (the dashboard's kept view, profiled under load).
    static func drawn(_ library: MustacheLibrary) -> [Key: String] {
        var drawn: [Key: String] = [:]
        for section in NavSection.allCases.map(Optional.some) + [nil] {
            for isAdmin in [false, true] {
                let context = Context(groups: PageNavigation(current: section, isAdmin: isAdmin).groups)
                drawn[Key(section: section, isAdmin: isAdmin)] = library.render(context, withTemplate: "navigation") ?? ""
            }
        }
        return drawn
    }

    struct Key: Hashable, Sendable {
        let section: NavSection?
        let isAdmin: Bool
    }

    private struct Context: MustacheParent {
        let groups: [Group]
        func child(named name: String) -> Any? { name == "navigation" ? groups : nil }
    }
}
