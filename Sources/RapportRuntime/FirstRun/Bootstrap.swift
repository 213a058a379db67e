import Logging
import RapportCore

/// First-run helpers of `rapport serve`: the owner from `RAPPORT_ADMIN_*`, or the demo workspace.
public enum Bootstrap {
    public static let demoEmail = "demo@rapport.local"
    public static let demoPassword = "rapport-demo-password"

    /// Creates the configured admin when no user exists yet; does nothing otherwise.
    public static func run(_ services: AppServices, demo: Bool, logger: Logger) async throws {
        guard try await services.workspaces.needsSetup() else {
            if demo { logger.info("--demo: users already exist; leaving the data as it is") }
            return
        }
        if let admin = services.config.bootstrapAdmin {
            let (workspace, user) = try await services.workspaces.setUp(
                workspaceName: admin.workspace, ownerEmail: admin.email, ownerName: nil, password: admin.password)
            logger.notice("created owner \(user.email) of workspace \(workspace.name) from RAPPORT_ADMIN_EMAIL")
        } else if demo {
            let (workspace, user) = try await services.workspaces.setUp(
                workspaceName: "Demo", ownerEmail: demoEmail, ownerName: "Demo Owner", password: demoPassword)
            _ = try await DemoData.load(into: services, workspaceId: workspace.id, logger: logger)
            logger.notice("demo workspace \(workspace.name) ready with a year of sample data: sign in as \(user.email) / \(demoPassword)")
        } else {
            logger.notice("no account exists yet: open /setup to create the first workspace and owner")
        }
    }
}
