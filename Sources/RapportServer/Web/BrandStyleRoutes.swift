import Hummingbird
import RapportCore
import RapportWeb

/// `/brand/{rrggbb}.css`: the hosted survey page's colours for one brand colour. A stylesheet of its own because the
/// pages' Content-Security-Policy allows styles only from Rapport's files (no inline style); its address names the
/// colour, not the workspace, so it reveals nothing and can be cached for good.
struct BrandStyleRoutes: Sendable {
    func add(to router: Router<AppRequestContext>) {
        router.get("/brand/:file") { _, context in
            let file = context.parameters.get("file") ?? ""
            guard file.hasSuffix(".css"), file.count == 10, let color = try? BrandColor("#" + file.dropLast(4)),
                  color.digits == file.dropLast(4) else {
                throw RapportError(.notFound, code: "not_found", message: "No such file.")
            }
            return Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8",
                                                   .cacheControl: "public, max-age=31536000, immutable"],
                            body: .init(byteBuffer: ByteBuffer(string: BrandStyle.css(color))))
        }
    }
}
