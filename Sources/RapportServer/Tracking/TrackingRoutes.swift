import Foundation
import Hummingbird
import NIOCore
import RapportCore

/// CORS for the tracking API, so browsers on any site can send to it: answers preflight `OPTIONS` for every
/// `/v1/…` path (before routing, which has no OPTIONS routes) and allows any origin on the answers.
struct TrackingCORSMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix("/v1/") else { return try await next(request, context) }
        if request.method == .options {
            return Response(status: .noContent, headers: [
                .accessControlAllowOrigin: "*", .accessControlAllowMethods: "POST, OPTIONS",
                .accessControlAllowHeaders: "Content-Type, Authorization, Content-Encoding", .accessControlMaxAge: "86400",
            ])
        }
        var response = try await next(request, context)
        response.headers[.accessControlAllowOrigin] = "*"
        return response
    }
}

/// The Segment-compatible tracking API: `/v1/identify|track|page|screen|group|alias|batch`. Unmodified Segment
/// clients send here by changing only the host. Answers `200 {"success":true}` only after the events are committed.
struct TrackingRoutes: Sendable {
    let ingest: IngestService
    let writeKeys: WriteKeyAuthenticator
    let clock: WallClock
    let ids: IDGenerator

    func add(to router: Router<AppRequestContext>) {
        let group = router.group("v1")
        for type in TrackingMessage.MessageType.allCases {
            group.post(RouterPath(stringLiteral: type.rawValue)) { request, context in
                try await receive(request, context, endpoint: type)
            }
        }
        group.post("batch") { request, context in try await receive(request, context, endpoint: nil) }
        group.post("import") { request, context in try await receive(request, context, endpoint: nil) }
    }

    func receive(_ request: Request, _ context: AppRequestContext, endpoint: TrackingMessage.MessageType?) async throws -> Response {
        let limit = endpoint == nil ? TrackingMessage.maxBatchBytes : TrackingMessage.maxBytes
        let body = try await readBody(request, context, limit: limit)
        var containsNUL = false
        let json: JSONValue
        do {
            json = try JSONCodec.parse(body, containsNUL: &containsNUL)
        } catch let error as JSONCodec.ParseError {
            throw error.reason == .syntax
                ? RapportError(.badRequest, code: "invalid_json", message: "The body must be a JSON object.")
                : RapportError.invalidJSON(error)
        }
        guard let fields = json.objectValue else {
            throw RapportError(.badRequest, code: "invalid_json", message: "The body must be a JSON object.")
        }
        if let key = fields["writeKey"], key.stringValue == nil {
            throw RapportError(.badRequest, code: "invalid_message", message: "writeKey must be a string.", details: ["field": "writeKey"])
        }
        let workspace = try await writeKeys.workspace(request, bodyKey: fields["writeKey"]?.stringValue)
        let receivedAt = clock.nowMillis
        let rawMessages: [JSONValue]
        var batchSentAt: Int64?
        if endpoint == nil {
            guard let batch = fields["batch"]?.arrayValue else {
                throw RapportError(.badRequest, code: "invalid_message", message: "A batch body needs a \"batch\" array.",
                                   details: ["field": "batch"])
            }
            if let integrations = fields["integrations"], integrations.objectValue == nil {
                throw RapportError(.badRequest, code: "invalid_batch", message: "integrations must be an object.",
                                   details: ["field": "integrations"])
            }
            if let context = fields["context"], !context.isNull, context.objectValue == nil {
                throw RapportError(.badRequest, code: "invalid_batch", message: "context must be an object.", details: ["field": "context"])
            }
            if let sentAt = fields["sentAt"], !sentAt.isNull {
                guard let millis = sentAt.stringValue.flatMap(ISO8601.millis) else {
                    throw RapportError(.badRequest, code: "invalid_batch", message: "sentAt must be an ISO-8601 timestamp.",
                                       details: ["field": "sentAt"])
                }
                batchSentAt = millis
            }
            rawMessages = batch.map { Self.inheritContext($0, from: fields["context"]) }
        } else {
            rawMessages = [json]
        }
        var valid: [(index: Int, message: TrackingMessage)] = []
        var rejected: [JSONValue] = []
        for (index, raw) in rawMessages.enumerated() {
            do {
                // A single message's body was already held to the limit as received; a batch's messages are measured
                // as they would be stored.
                if endpoint == nil, raw.encodedSize > TrackingMessage.maxBytes {
                    throw RapportError(.payloadTooLarge, code: "message_too_large",
                                       message: "A message may be at most \(TrackingMessage.maxBytes) bytes (32 KB).",
                                       details: ["limit_bytes": String(TrackingMessage.maxBytes)])
                }
                // Only a `\u0000` escape puts U+0000 in a string, so the message is searched only when the body had one.
                if containsNUL, let field = raw.pathOfNUL("") { throw RapportError.containsNUL(field) }
                let message = try TrackingMessage.parse(raw, endpointType: endpoint, batchSentAt: batchSentAt,
                                                        receivedAt: receivedAt, makeId: { ids.next() })
                valid.append((index, message))
            } catch let error as RapportError {
                rejected.append(Self.rejection(index: index, messageId: raw["messageId"]?.stringValue, error: error))
            }
        }
        let outcomes = try await ingest.ingest(workspaceId: workspace.id, messages: valid)
        for outcome in outcomes where outcome.status == .rejected {
            if let error = outcome.error {
                rejected.append(Self.rejection(index: outcome.index, messageId: outcome.messageId, error: error))
            }
        }
        if endpoint != nil, let first = rejected.first, let code = first["code"]?.stringValue {
            let kind: RapportError.Kind = code == "message_too_large" ? .payloadTooLarge : .badRequest
            throw RapportError(kind, code: code == "message_too_large" ? code : "invalid_message",
                               message: first["message"]?.stringValue ?? "Invalid message.",
                               details: first["field"]?.stringValue.map { ["field": $0] } ?? [:])
        }
        if endpoint == nil, valid.isEmpty, !rejected.isEmpty {
            return ErrorMiddleware.envelope(RapportError(.badRequest, code: "invalid_batch",
                                                         message: "No message of the batch is valid; see details.rejected."),
                                            extraDetails: ["rejected": .array(rejected)])
        }
        var answer: [String: JSONValue] = ["success": true]
        if endpoint == nil {
            answer["stored"] = JSONValue(outcomes.filter { $0.status == .stored }.count)
            answer["duplicates"] = JSONValue(outcomes.filter { $0.status == .duplicate }.count)
            answer["rejected"] = .array(rejected.sorted { ($0["index"]?.numberValue ?? 0) < ($1["index"]?.numberValue ?? 0) })
        }
        return JSONResponse.make(.object(answer))
    }

    /// Reads the body, undoing its `Content-Encoding`, up to `limit` bytes before and after decompression.
    func readBody(_ request: Request, _ context: AppRequestContext, limit: Int) async throws -> [UInt8] {
        let body = try await request.collectBody(limit: limit, context: context)
        let decoded = try ContentDecoding.decode(body, contentEncoding: request.headers[.contentEncoding], limit: limit)
        return Array(decoded.readableBytesView)
    }

    /// A batch-level `context` applies to every message that does not set the same key.
    static func inheritContext(_ message: JSONValue, from context: JSONValue?) -> JSONValue {
        guard let shared = context?.objectValue, var fields = message.objectValue else { return message }
        var merged = shared
        for (key, value) in fields["context"]?.objectValue ?? [:] { merged[key] = value }
        fields["context"] = .object(merged)
        return .object(fields)
    }

    static func rejection(index: Int, messageId: String?, error: RapportError) -> JSONValue {
        ["index": JSONValue(index), "message_id": JSONValue(messageId), "code": .string(error.code),
         "message": .string(error.message), "field": JSONValue(error.details["field"])]
    }
}
