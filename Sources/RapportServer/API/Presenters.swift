import RapportCore

/// Domain values as the API shows them (see docs/api.md and openapi.json).
extension Workspace {
    var json: JSONValue {
        ["id": .string(id), "name": .string(name), "time_zone": .string(timeZone),
         "brand_color": JSONValue(brandColor?.hex), "brand_text_color": JSONValue(brandColor?.textHex),
         "created_at": .string(Timestamp.iso8601(createdAt))]
    }
}

extension Member {
    var json: JSONValue {
        [
            "id": .string(user.id), "email": .string(user.email), "name": JSONValue(user.name), "role": .string(role.rawValue),
            "joined_at": .string(Timestamp.iso8601(joinedAt)),
            "last_login_at": JSONValue(user.lastLoginAt.map(Timestamp.iso8601)),
        ]
    }
}

extension ApiKey {
    var json: JSONValue {
        [
            "id": .string(id), "name": .string(name), "scope": .string(scope.rawValue), "prefix": .string(prefix),
            "created_at": .string(Timestamp.iso8601(createdAt)), "created_by": JSONValue(createdBy),
            "last_used_at": JSONValue(lastUsedAt.map(Timestamp.iso8601)),
            "revoked_at": JSONValue(revokedAt.map(Timestamp.iso8601)),
        ]
    }

    func jsonWithSecret(_ secret: String) -> JSONValue {
        guard case .object(var fields) = json else { return json }
        fields["secret"] = .string(secret)
        return .object(fields)
    }
}

extension AuditEntry {
    var json: JSONValue {
        [
            "id": .string(id), "occurred_at": .string(Timestamp.iso8601(occurredAt)),
            "actor_type": .string(actor.type.rawValue), "actor_id": JSONValue(actor.id),
            "actor_label": JSONValue(actor.label), "action": .string(action), "target_type": JSONValue(targetType),
            "target_id": JSONValue(targetId), "ip": JSONValue(ip),
            "details": .object(details.mapValues(JSONValue.string)),
        ]
    }
}

extension Principal {
    var json: JSONValue {
        let caller: JSONValue
        switch self.caller {
        case .user(let user, _): caller = ["type": "user", "id": .string(user.id), "label": .string(user.email)]
        case .apiKey(let key): caller = ["type": "api_key", "id": .string(key.id), "label": .string(key.name)]
        }
        return [
            "caller": caller, "workspace": workspace.json, "role": .string(role.rawValue),
            "permissions": .array(role.permissions.map { .string($0.rawValue) }),
        ]
    }
}
