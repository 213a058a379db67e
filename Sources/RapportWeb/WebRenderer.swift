import Foundation
import Mustache

/// Renders the server-side HTML pages from the Mustache templates in Resources/templates and serves the
/// static assets in Resources/static (no CDN: everything comes from Rapport itself).
public struct WebRenderer: Sendable {
    let library: MustacheLibrary
    public let assets: [String: StaticAsset]
    /// The main navigation of each section and role, drawn when the templates load.
    let navigation: [PageNavigation.Key: String]

    /// A file under `/static/`.
    public struct StaticAsset: Sendable {
        public let contentType: String
        public let body: String
    }

    /// Loads every template and asset from the module's resources.
    public static func load() async throws -> WebRenderer {
        let candidates = [Bundle.module.resourceURL, Bundle.module.resourceURL?.appendingPathComponent("Resources")]
        guard let root = candidates.compactMap({ $0 }).first(where: {
            FileManager.default.fileExists(atPath: $0.appendingPathComponent("templates/layout.mustache").path)
        }) else {
            throw WebResourceError(message: "the web templates are missing from the build")
        }
        let library = try await MustacheLibrary(directory: root.appendingPathComponent("templates").path)
        var assets: [String: StaticAsset] = [:]
        let staticDir = root.appendingPathComponent("static")
        for name in try FileManager.default.contentsOfDirectory(atPath: staticDir.path) {
            let body = try String(contentsOf: staticDir.appendingPathComponent(name), encoding: .utf8)
            let type = name.hasSuffix(".css") ? "text/css; charset=utf-8"
                : name.hasSuffix(".js") ? "text/javascript; charset=utf-8"
                : name.hasSuffix(".svg") ? "image/svg+xml; charset=utf-8" : "text/plain; charset=utf-8"
            assets[name] = StaticAsset(contentType: type, body: body)
        }
        return WebRenderer(library: library, assets: assets, navigation: PageNavigation.drawn(library))
    }

    /// Renders `page` in its template, with `chrome` (the signed-in frame) around it when there is one.
    public func render(_ page: some PageModel, chrome: PageChrome? = nil) -> String {
        let template = type(of: page).template
        return library.render(FramedPage(page: page, chrome: chrome, navigation: navigation), withTemplate: template)
            ?? "<!doctype html><p>Missing template \(template)</p>"
    }

    /// The page shown for UI errors.
    public func errorPage(status: Int, title: String, message: String, requestID: String) -> String {
        render(ErrorPage(status: status, title: title, message: message, requestId: requestID))
    }
}

struct WebResourceError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
