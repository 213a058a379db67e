import RapportCore

extension Customer {
    var json: JSONValue {
        [
            "id": .string(id), "email": JSONValue(email), "name": JSONValue(name), "phone": JSONValue(phone),
            "traits": .object(traits), "first_seen_at": .string(Timestamp.iso8601(firstSeenAt)),
            "last_seen_at": .string(Timestamp.iso8601(lastSeenAt)), "created_at": .string(Timestamp.iso8601(createdAt)),
            "updated_at": .string(Timestamp.iso8601(updatedAt)),
        ]
    }
}

extension PurchaseStats {
    var json: JSONValue {
        [
            "order_count": JSONValue(orderCount), "currency": JSONValue(currency),
            "revenue": Money.json(minorUnits: revenueMinorUnits, currency: currency),
            "average_order_value": Money.json(minorUnits: averageOrderValueMinorUnits, currency: currency),
            "by_currency": .array(byCurrency.map {
                ["currency": .string($0.currency), "order_count": JSONValue($0.orderCount),
                 "revenue": Money.json(minorUnits: $0.revenueMinorUnits, currency: $0.currency),
                 "average_order_value": Money.json(minorUnits: $0.averageOrderValueMinorUnits, currency: $0.currency)]
            }),
            "first_order_at": JSONValue(firstOrderAt.map(Timestamp.iso8601)),
            "last_order_at": JSONValue(lastOrderAt.map(Timestamp.iso8601)), "repeat_purchaser": .bool(isRepeatPurchaser),
        ]
    }
}

extension Account {
    var json: JSONValue {
        ["id": .string(id), "group_id": .string(groupId), "name": JSONValue(name), "traits": .object(traits),
         "created_at": .string(Timestamp.iso8601(createdAt)), "updated_at": .string(Timestamp.iso8601(updatedAt))]
    }
}

extension CustomerMerge {
    var json: JSONValue {
        ["id": .string(id), "survivor_id": .string(survivorId), "merged_id": .string(mergedId), "reason": .string(reason),
         "identifiers": .array(identifiers.map(JSONValue.string)), "merged_at": .string(Timestamp.iso8601(mergedAt))]
    }
}

extension CustomerProfile {
    var json: JSONValue {
        guard case .object(var fields) = customer.json else { return customer.json }
        fields["identifiers"] = .array(identifiers.map(\.json))
        fields["purchases"] = purchases.json
        fields["accounts"] = .array(accounts.map { ["id": .string($0.id), "group_id": .string($0.groupId), "name": JSONValue($0.name)] })
        fields["merges"] = .array(merges.map(\.json))
        fields["consents"] = .array(ConsentRecord.current(consents).map(\.json))
        fields["lifecycle_stage"] = .string(lifecycleStage)
        fields["trait_history"] = .array(traitHistory.map {
            ["trait": .string($0.trait), "value": $0.value, "source": .string($0.source), "recorded_at": .string(Timestamp.iso8601($0.recordedAt))]
        })
        return .object(fields)
    }
}

extension Order {
    var json: JSONValue {
        guard case .object(var fields) = timelineProperties else { return timelineProperties }
        fields["id"] = .string(id)
        fields["customer_id"] = JSONValue(customerId)
        fields["source"] = .string(source)
        fields["occurred_at"] = .string(Timestamp.iso8601(occurredAt))
        fields["refunded_at"] = JSONValue(refundedAt.map(Timestamp.iso8601))
        return .object(fields)
    }
}
