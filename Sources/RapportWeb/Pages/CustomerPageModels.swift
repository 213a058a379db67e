import Foundation
import RapportCore

/// The customer list: a search, or a segment's members, a page at a time.
public struct CustomerListPage: PageModel {
    public static let template = "customers"
    public struct Row: Sendable {
        public let url: String
        public let name: String
        public let email: String
        public let firstSeenAt: DisplayDate
        public let lastSeenAt: DisplayDate
    }

    public let search: String
    public let segmentId: String?
    public let segmentName: String?
    public let matchesCappedAt: Int?
    public let customers: [Row]
    public let olderURL: String?

    public init(found: Page<Customer>, search: String?, segmentId: String?, segmentName: String?,
                timeZone: TimeZone = DisplayDate.utc) {
        self.search = search ?? ""
        self.segmentId = segmentId
        self.segmentName = segmentName
        matchesCappedAt = found.matchLimit
        customers = found.items.map { customer in
            Row(url: WebURL.customer(customer.id), name: customer.displayName, email: customer.email ?? "",
                firstSeenAt: DisplayDate(millis: customer.firstSeenAt, timeZone: timeZone),
                lastSeenAt: DisplayDate(millis: customer.lastSeenAt, timeZone: timeZone))
        }
        olderURL = found.nextCursor.map { WebURL.customers(search: search, segmentId: segmentId, cursor: $0) }
    }
}

/// One customer's profile: purchases, identifiers, consent, traits, accounts, merges and the timeline.
public struct CustomerPage: PageModel {
    public static let template = "customer"
    public struct Summary: Sendable {
        public let id: String
        public let displayName: String
        public let email: String
        public let firstSeenAt: DisplayDate
        public let lastSeenAt: DisplayDate
    }

    public struct Purchases: Sendable {
        public struct OtherCurrency: Sendable {
            public let currency: String
            public let revenue: String
            public let orderCount: Int
            /// "1 order", "3 orders".
            public let orders: String
        }

        public let revenue: String
        public let currency: String
        public let orderCount: Int
        public let orders: String
        public let averageOrderValue: String
        public let isRepeat: Bool
        public let otherCurrencies: [OtherCurrency]
    }

    public struct Option: Sendable {
        public let value: String
        public let selected: Bool
    }

    public struct Consent: Sendable {
        public let purpose: String
        public let channel: String
        public let status: String
        public let source: String
        public let recordedAt: DisplayDate
    }

    public struct Trait: Sendable {
        public let key: String
        public let value: String
    }

    public struct Link: Sendable {
        public let url: String
        public let name: String
    }

    public struct Merge: Sendable {
        public let mergedId: String
        public let reason: String
        public let mergedAt: DisplayDate
    }

    public struct Interaction: Sendable {
        public struct Line: Sendable {
            public let quantity: Int
            public let name: String
            public let price: String
            public let currency: String
        }

        public let type: String
        public let name: String
        public let occurredAt: DisplayDate
        public let lines: [Line]
        public let hasLines: Bool
        public let details: [TimelineDetail]
        public let hasDetails: Bool
    }

    public let customer: Summary
    public let error: String?
    public let flash: String?
    public let canWrite: Bool
    public let canExport: Bool
    public let exportURL: String
    public let consentURL: String
    public let mergeURL: String
    public let filterURL: String
    public let purchases: Purchases
    public let identifiers: [String]
    public let consents: [Consent]
    public let purposes: [String]
    public let channels: [Option]
    public let traits: [Trait]
    public let accounts: [Link]
    public let hasAccounts: Bool
    public let merges: [Merge]
    public let hasMerges: Bool
    public let types: [Option]
    public let timeline: [Interaction]
    public let olderURL: String?

    /// - Parameters:
    ///   - kinds: the timeline's filter; one kind selects it in the filter's menu.
    public init(profile: CustomerProfile, timeline: Page<Activity>, kinds: Set<ActivityKind>?, type: String?,
                canWrite: Bool, canExport: Bool, error: String?, flash: String?, timeZone: TimeZone = DisplayDate.utc) {
        let customer = profile.customer
        let date = { (millis: Int64) in DisplayDate(millis: millis, timeZone: timeZone) }
        self.customer = Summary(id: customer.id, displayName: customer.displayName, email: customer.email ?? "no email",
                                firstSeenAt: date(customer.firstSeenAt), lastSeenAt: date(customer.lastSeenAt))
        self.error = error
        self.flash = flash
        self.canWrite = canWrite
        self.canExport = canExport
        exportURL = WebURL.customerExport(customer.id)
        consentURL = WebURL.customerConsent(customer.id)
        mergeURL = WebURL.customerMerge(customer.id)
        filterURL = WebURL.customer(customer.id)
        let currency = profile.purchases.currency
        purchases = Purchases(
            revenue: Money.format(minorUnits: profile.purchases.revenueMinorUnits, currency: currency),
            currency: currency ?? "", orderCount: profile.purchases.orderCount,
            orders: Plural.count(profile.purchases.orderCount, "order"),
            averageOrderValue: Money.format(minorUnits: profile.purchases.averageOrderValueMinorUnits, currency: currency),
            isRepeat: profile.purchases.isRepeatPurchaser,
            otherCurrencies: profile.purchases.byCurrency.dropFirst().map {
                Purchases.OtherCurrency(currency: $0.currency,
                                        revenue: Money.format(minorUnits: $0.revenueMinorUnits, currency: $0.currency),
                                        orderCount: $0.orderCount, orders: Plural.count($0.orderCount, "order"))
            })
        identifiers = profile.identifiers.map(\.description)
        consents = ConsentRecord.current(profile.consents).map {
            Consent(purpose: $0.purpose, channel: $0.channel, status: $0.status.rawValue, source: $0.source,
                    recordedAt: date($0.recordedAt))
        }
        purposes = ContactPolicy.knownPurposes
        channels = ContactPolicy.channels.map { Option(value: $0, selected: $0 == "any") }
        traits = customer.traits.sorted { $0.key < $1.key }.map { Trait(key: $0.key, value: $0.value.stringValue ?? $0.value.jsonText) }
        accounts = profile.accounts.map { Link(url: WebURL.account($0.id), name: $0.name ?? $0.groupId) }
        hasAccounts = !accounts.isEmpty
        merges = profile.merges.map { Merge(mergedId: $0.mergedId, reason: $0.reason, mergedAt: date($0.mergedAt)) }
        hasMerges = !merges.isEmpty
        types = ActivityKind.allCases.map { Option(value: $0.rawValue, selected: kinds == [$0]) }
        self.timeline = timeline.items.map { activity in
            let orderCurrency = activity.properties["currency"]?.stringValue
            let lines = (activity.properties["products"]?.arrayValue ?? []).map { line in
                Interaction.Line(
                    quantity: Int(exactly: (line["quantity"]?.numberValue ?? 1).rounded()) ?? 0,
                    name: line["name"]?.stringValue ?? line["product_id"]?.stringValue ?? "item",
                    price: Money.format(minorUnits: line["price"].flatMap {
                        Money.minorUnits($0, currency: orderCurrency, acceptStrings: true) } ?? 0, currency: orderCurrency),
                    currency: orderCurrency ?? "")
            }
            let details = TimelineDetail.of(activity.kind, properties: activity.properties)
            return Interaction(type: activity.kind.rawValue, name: activity.name ?? "", occurredAt: date(activity.occurredAt),
                               lines: lines, hasLines: !lines.isEmpty, details: details, hasDetails: !details.isEmpty)
        }
        olderURL = timeline.nextCursor.map { WebURL.customer(customer.id, type: type, cursor: $0) }
    }
}

/// The workspace's segments, each rule as a sentence, and the builder for a new one.
public struct SegmentsPage: PageModel {
    public static let template = "segments"
    public struct Row: Sendable {
        public let url: String
        public let name: String
        public let memberCount: Int
        public let membersURL: String
        public let rule: String
        public let refreshedAt: DisplayDate?
    }

    public let segments: [Row]
    public let canWrite: Bool
    /// The new segment's form, for agents and up.
    public let form: SegmentRuleForm?

    public init(segments: [Segment], canWrite: Bool, form: SegmentRuleForm?, timeZone: TimeZone = DisplayDate.utc) {
        let sentence = SegmentRuleSentence(timeZone: timeZone)
        self.segments = segments.map { segment in
            Row(url: WebURL.segment(segment.id), name: segment.name, memberCount: segment.memberCount,
                membersURL: WebURL.customers(segmentId: segment.id), rule: sentence.describe(segment.rule),
                refreshedAt: segment.refreshedAt.map { DisplayDate(millis: $0, timeZone: timeZone) })
        }
        self.canWrite = canWrite
        self.form = canWrite ? form : nil
    }
}

/// One segment: its rule as a sentence, its members, and (for agents and up) the builder to edit it and a delete form.
public struct SegmentPage: PageModel {
    public static let template = "segment"
    public let id: String
    public let name: String
    public let description: String?
    public let sentence: String
    public let ruleJSON: String
    public let memberCount: Int
    /// "1 customer", "12 customers".
    public let membersText: String
    public let membersURL: String
    public let refreshedAt: DisplayDate?
    public let updatedAt: DisplayDate
    public let canWrite: Bool
    public let form: SegmentRuleForm?
    public let deleteURL: String
    public let deleteError: String?
    public let flash: String?

    public init(segment: Segment, canWrite: Bool, form: SegmentRuleForm?, deleteError: String? = nil, flash: String? = nil,
                timeZone: TimeZone = DisplayDate.utc) {
        id = segment.id
        name = segment.name
        description = segment.description
        sentence = SegmentRuleSentence(timeZone: timeZone).describe(segment.rule)
        ruleJSON = segment.rule.json.jsonText
        memberCount = segment.memberCount
        membersText = segment.memberCount == 1 ? "1 customer" : "\(segment.memberCount) customers"
        membersURL = WebURL.customers(segmentId: segment.id)
        refreshedAt = segment.refreshedAt.map { DisplayDate(millis: $0, timeZone: timeZone) }
        updatedAt = DisplayDate(millis: segment.updatedAt, timeZone: timeZone)
        self.canWrite = canWrite
        self.form = canWrite ? form : nil
        deleteURL = WebURL.segment(segment.id) + "/delete"
        self.deleteError = deleteError
        self.flash = flash
    }
}

/// The rule builder's form, shared by the new segment and a segment's edit page: the name, the rule as JSON (the
/// field the builder writes, and what is edited without JavaScript), the names the field picker offers, and the
/// server's answer to the last post (its message and the JSON path it names), kept beside the values entered.
public struct SegmentRuleForm: Sendable {
    public let action: String
    public let submitLabel: String
    public let submitId: String
    public let name: String
    public let rule: String
    public let error: String?
    public let errorField: String?
    public let nameInvalid: Bool
    public let ruleInvalid: Bool
    /// `{"traits": [...], "events": [...]}` for the builder's field picker.
    public let fieldsJSON: String
    /// The segment being edited, so the live count can compare with its members.
    public let segmentId: String?
    public let memberCount: Int?

    public init(action: String, submitLabel: String, submitId: String, name: String, rule: String, fields: SegmentFieldNames,
                error: String? = nil, errorField: String? = nil, segmentId: String? = nil, memberCount: Int? = nil) {
        self.action = action
        self.submitLabel = submitLabel
        self.submitId = submitId
        self.name = name
        self.rule = rule
        self.error = error
        self.errorField = errorField
        nameInvalid = errorField == "name"
        ruleInvalid = error != nil && errorField != "name"
        fieldsJSON = JSONValue.object([
            "traits": .array(fields.traits.map { .string($0) }), "events": .array(fields.events.map { .string($0) }),
        ]).jsonText
        self.segmentId = segmentId
        self.memberCount = memberCount
    }
}
