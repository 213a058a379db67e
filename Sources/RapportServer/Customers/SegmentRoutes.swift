import Hummingbird
import RapportCore

extension APIRoutes {
    /// `/segments…`: rule-defined groups of customers.
    func addSegmentRoutes(segments: SegmentService, customers: CustomerService) {
        get("segments", least: .analyst) { request, _, principal in
            JSONResponse.page(try await segments.list(principal, page: try request.pageRequest())) { $0.json }
        }

        post("segments", least: .agent) { request, context, principal in
            let body = try await JSONBody.read(request, context: context, allowed: ["name", "description", "rule"])
            guard let rule = body.fields["rule"], !rule.isNull else { throw RapportError.invalid("rule", "rule is required.") }
            let segment = try await segments.create(principal, name: try body.string("name"),
                                                             description: try body.optionalString("description"), rule: rule)
            return JSONResponse.make(segment.json, status: .created)
        }

        // The count and a sample of a rule's customers, nothing saved: the rule builder's live count (with
        // `sample_size: 0`, and `segment_id` when a saved segment is being edited, to compare with its members).
        post("segments/preview", least: .analyst) { request, context, principal in
            let body = try await JSONBody.read(request, context: context, allowed: ["rule", "segment_id", "sample_size"])
            guard let rule = body.fields["rule"], !rule.isNull else { throw RapportError.invalid("rule", "rule is required.") }
            var sampleSize = 10
            if let raw = body.fields["sample_size"], !raw.isNull {
                guard let number = raw.numberValue, number == number.rounded(), (0...50).contains(number) else {
                    throw RapportError.invalid("sample_size", "sample_size must be a whole number from 0 to 50.")
                }
                sampleSize = Int(number)
            }
            var segment: Segment?
            if let raw = body.fields["segment_id"], !raw.isNull {
                guard let id = raw.stringValue, IDGenerator.isUUID(id) else {
                    throw RapportError.invalid("segment_id", "segment_id must be a segment's id.")
                }
                segment = try await segments.get(principal, id: id.lowercased())
            }
            let (count, sample) = try await segments.preview(principal, rule: rule, sampleSize: sampleSize)
            var profiles: [JSONValue] = []
            for id in sample { profiles.append(try await customers.find(principal, id: id).json) }
            var answer: [String: JSONValue] = ["count": JSONValue(count), "sample": .array(profiles)]
            if let segment {
                answer["segment"] = ["id": .string(segment.id), "name": .string(segment.name),
                                     "member_count": JSONValue(segment.memberCount)]
            }
            return JSONResponse.make(.object(answer))
        }

        get("segments/:segment_id", least: .analyst) { _, context, principal in
            JSONResponse.make(try await segments.get(principal, id: try context.id("segment_id", of: "segment")).json)
        }

        patch("segments/:segment_id", least: .agent) { request, context, principal in
            let id = try context.id("segment_id", of: "segment")
            let body = try await JSONBody.read(request, context: context, allowed: ["name", "description", "rule"])
            let description: String?? = body.has("description") ? .some(try body.optionalString("description")) : .none
            let rule = body.fields["rule"]  // null is not a rule: it is refused, as the document says
            let name = try body.has("name") ? body.string("name") : nil
            let segment = try await segments.update(principal, id: id, name: name, description: description, rule: rule)
            return JSONResponse.make(segment.json)
        }

        delete("segments/:segment_id", least: .agent) { _, context, principal in
            try await segments.delete(principal, id: try context.id("segment_id", of: "segment"))
            return JSONResponse.noContent
        }

        get("segments/:segment_id/members", least: .analyst) { request, context, principal in
            let segment = try await segments.get(principal, id: try context.id("segment_id", of: "segment"))
            let page = try await customers.list(principal, query: CustomerQuery(segmentId: segment.id),
                                                         page: try request.pageRequest())
            return JSONResponse.page(page) { $0.json }
        }

        post("segments/:segment_id/refresh", least: .agent) { _, context, principal in
            let segment = try await segments.get(principal, id: try context.id("segment_id", of: "segment"))
            return JSONResponse.make(try await segments.refresh(segment).json)
        }
    }
}

extension Segment {
    var json: JSONValue {
        [
            "id": .string(id), "name": .string(name), "description": JSONValue(description), "rule": rule.json,
            "member_count": JSONValue(memberCount), "created_at": .string(Timestamp.iso8601(createdAt)),
            "updated_at": .string(Timestamp.iso8601(updatedAt)), "refreshed_at": JSONValue(refreshedAt.map(Timestamp.iso8601)),
        ]
    }
}
