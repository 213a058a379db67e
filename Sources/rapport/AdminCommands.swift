import ArgumentParser
import RapportCore
import RapportRuntime

struct WorkspaceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "workspace", abstract: "Manage workspaces.",
                                                    subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a workspace; prints its id.")
        @Option(help: "The workspace's name (unique).") var name: String
        @OptionGroup var db: DatabaseOption

        func run() async throws {
            try await runReportingErrors {
                try await withMigratedDatabase(db) { services in
                    let workspace = try await services.workspaces.create(name: name, creator: nil)
                    print(workspace.id)
                }
            }
        }
    }
}

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "user", abstract: "Manage users.",
                                                    subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a user in a workspace (or add an existing user to it); prints the user id.")
        @Option(help: "The workspace's name.") var workspace: String
        @Option(help: "Email address (sign-in name).") var email: String
        @Option(help: "Password, 10 to 128 characters (ignored when the user exists).") var password: String
        @Option(help: "owner, admin, agent or analyst.") var role: String
        @Option(help: "Display name.") var name: String?
        @OptionGroup var db: DatabaseOption

        func run() async throws {
            try await runReportingErrors {
                let role = try Validation.oneOf(role, field: "role", as: Role.self)
                try await withMigratedDatabase(db) { services in
                    let target = try await services.workspaces.find(name: workspace)
                    let member = try await services.team.add(nil, workspaceId: target.id, email: email, role: role,
                                                             name: name, password: password)
                    print(member.user.id)
                }
            }
        }
    }
}

struct ApiKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "apikey", abstract: "Manage API keys.",
                                                    subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an API key; prints its secret, once, on the last line (only its hash is stored).")
        @Option(help: "The workspace's name.") var workspace: String
        @Option(help: "A label to tell keys apart.") var name: String
        @Option(help: "read, write, admin (REST API) or track (tracking API).") var scope: String = "read"
        @OptionGroup var db: DatabaseOption

        func run() async throws {
            try await runReportingErrors {
                let scope = try Validation.oneOf(scope, field: "scope", as: ApiKeyScope.self)
                try await withMigratedDatabase(db) { services in
                    let target = try await services.workspaces.find(name: workspace)
                    let (key, secret) = try await services.apiKeys.create(nil, workspaceId: target.id, name: name, scope: scope)
                    print("created \(scope.rawValue) key \(key.id) (\(key.name)) in workspace \(target.name)")
                    print(secret)
                }
            }
        }
    }
}
