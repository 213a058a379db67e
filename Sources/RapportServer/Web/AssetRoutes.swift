import Hummingbird
import RapportCore
import RapportWeb

/// Static files from RapportWeb's resources: the UI's CSS and JavaScript, and the tracking client and survey widget
/// any site may load.
struct AssetRoutes: Sendable {
    let web: WebRenderer

    func add(to router: Router<AppRequestContext>) {
        // The tracking client and the survey widget, loaded by customers' own sites.
        for script in ["rapport.js", "widget.js"] {
            router.get(RouterPath(stringLiteral: "/" + script)) { _, _ in
                var response = try asset(script)
                response.headers[.accessControlAllowOrigin] = "*"
                return response
            }
        }
        router.get("/static/:file") { _, context in try asset(context.parameters.get("file") ?? "") }
    }

    private func asset(_ name: String) throws(RapportError) -> Response {
        guard let asset = web.assets[name] else {
            throw RapportError(.notFound, code: "not_found", message: "No such file.")
        }
        return Response(status: .ok, headers: [.contentType: asset.contentType, .cacheControl: "public, max-age=300"],
                        body: .init(byteBuffer: ByteBuffer(string: asset.body)))
    }
}
