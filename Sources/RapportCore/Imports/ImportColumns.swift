import Foundation

/// One valid CSV row, ready to be applied.
struct ImportRow: Sendable {
    var identifiers: [Identifier]
    var traits: [String: JSONValue]
    var order: (orderId: String, properties: [String: JSONValue])?
    var occurredAt: Int64?
    /// A survey response, checked, with no id or customer yet (`survey_responses` imports).
    var response: SurveyResponse?
}

/// The header of an import file: which column holds what. Headers match case-insensitively, with spaces and
/// dashes read as `_` (`E-mail` and `User ID` work). Documented in docs/api.md.
struct ImportColumns: Sendable {
    let kind: ImportJob.Kind
    let names: [String]
    /// The survey a `survey_responses` import fills.
    let survey: Survey?

    static let userIdNames: Set<String> = ["user_id", "userid", "external_id", "customer_external_id"]
    static let emailNames: Set<String> = ["email", "e_mail", "email_address"]

    init(kind: ImportJob.Kind, header record: CSVParser.Record, survey: Survey? = nil) throws(RapportError) {
        guard record.invalidUTF8Field == nil else {
            throw RapportError.invalid("header", "The header is not UTF-8 text; save the file as UTF-8 (CSV UTF-8).")
        }
        guard !record.fields.contains(where: { $0.utf8.contains(0) }) else {
            throw RapportError.invalid("header", "The header must not contain the NUL character (U+0000).")
        }
        try self.init(kind: kind, header: record.fields, survey: survey)
    }

    init(kind: ImportJob.Kind, header: [String], survey: Survey? = nil) throws(RapportError) {
        self.kind = kind
        self.survey = survey
        names = header.map { raw in
            raw.trimmed.lowercased()
                .replacingOccurrences(of: " ", with: "_").replacingOccurrences(of: "-", with: "_")
        }
        let present = Set(names)
        guard !present.isDisjoint(with: Self.userIdNames.union(Self.emailNames)) else {
            throw RapportError.invalid("header", "The header needs an email or user_id column to match customers.")
        }
        if kind == .orders, !present.contains("order_id") {
            throw RapportError.invalid("header", "An orders file needs an order_id column.")
        }
        if kind == .surveyResponses {
            guard let survey else { throw RapportError.invalid("survey_id", "A survey_responses import needs a survey.") }
            try SurveyResponseImport.checkHeader(names, survey: survey)
        }
    }

    /// Reads one record of a file received at `receivedAt` (dates must lie in `EventTime.plausible`).
    func row(_ record: CSVParser.Record, receivedAt: Int64) throws(RapportError) -> ImportRow {
        guard record.fields.count <= names.count || record.fields.dropFirst(names.count).allSatisfy(\.isEmpty) else {
            throw RapportError.invalid("row", "The row has \(record.fields.count) fields but the header has \(names.count).")
        }
        // Text is refused, not repaired: a replaced byte could make two ids one, and PostgreSQL cannot store U+0000.
        if let index = record.invalidUTF8Field {
            let column = index < names.count ? names[index] : "row"
            throw RapportError.invalid(column, "\(column) is not UTF-8 text; save the file as UTF-8 (CSV UTF-8).")
        }
        if let index = record.fields.firstIndex(where: { $0.utf8.contains(0) }) {
            let column = index < names.count ? names[index] : "row"
            throw RapportError.invalid(column, "\(column) must not contain the NUL character (U+0000).")
        }
        var values: [String: String] = [:]
        for (index, name) in names.enumerated() where index < record.fields.count {
            let value = record.fields[index].trimmed
            if !value.isEmpty { values[name] = value }
        }
        var identifiers: [Identifier] = []
        var traits: [String: JSONValue] = [:]
        if let userId = Self.userIdNames.compactMap({ values[$0] }).first { identifiers.append(Identifier(.userId, userId)) }
        if let email = Self.emailNames.compactMap({ values[$0] }).first {
            let valid = try Validation.email(email)
            identifiers.append(Identifier(.email, valid))
            traits["email"] = .string(valid)
        }
        guard !identifiers.isEmpty else { throw RapportError.invalid("email", "The row has neither an email nor a user_id.") }
        switch kind {
        case .surveyResponses:
            guard let survey else { throw RapportError.invalid("survey_id", "A survey_responses import needs a survey.") }
            let response = try SurveyResponseImport.response(values, survey: survey, receivedAt: receivedAt)
            return ImportRow(identifiers: identifiers, traits: traits, order: nil, occurredAt: response.submittedAt, response: response)
        case .customers:
            for (name, value) in values where !Self.userIdNames.contains(name) && !Self.emailNames.contains(name) {
                traits[name] = .string(value)
            }
            // As tracking does, a phone without a digit stays a trait and names nobody.
            if let phone = values["phone"], phone.contains(where: \.isNumber) { identifiers.append(Identifier(.phone, phone)) }
            return ImportRow(identifiers: identifiers, traits: traits, order: nil, occurredAt: nil)
        case .orders:
            guard let orderId = values["order_id"] else { throw RapportError.invalid("order_id", "order_id is empty.") }
            var properties: [String: JSONValue] = ["order_id": .string(orderId)]
            if let currency = values["currency"] { properties["currency"] = .string(currency) }
            // Amounts stay text, so the order reader takes their exact decimals (never through a Double).
            if let total = values["total"] ?? values["revenue"] {
                guard let minor = Money.minorUnits(decimalText: total, currency: values["currency"]), minor >= 0 else {
                    throw RapportError.invalid("total", "total must be a number ≥ 0 (got \(total)).")
                }
                properties["total"] = .string(total)
            }
            var product: [String: JSONValue] = [:]
            for (column, key) in [("product_id", "product_id"), ("sku", "sku"), ("product_name", "name"), ("name", "name"),
                                  ("category", "category")] {
                if let value = values[column], product[key] == nil { product[key] = .string(value) }
            }
            if let raw = values["price"] {
                guard let minor = Money.minorUnits(decimalText: raw, currency: values["currency"]), minor >= 0 else {
                    throw RapportError.invalid("price", "price must be a number ≥ 0 (got \(raw)).")
                }
                product["price"] = .string(raw)
            }
            if let raw = values["quantity"] {
                guard let number = Double(raw), number.isFinite, number >= 0 else {
                    throw RapportError.invalid("quantity", "quantity must be a number ≥ 0 (got \(raw)).")
                }
                product["quantity"] = .number(number)
            }
            if !product.isEmpty { properties["products"] = [.object(product)] }
            var occurredAt: Int64?
            if let raw = values["occurred_at"] ?? values["date"] ?? values["ordered_at"] {
                guard let millis = ISO8601.millis(raw) else {
                    throw RapportError.invalid("occurred_at", "occurred_at must be a date like 2026-11-25 or 2026-11-25T12:00:00Z.")
                }
                guard EventTime.plausible(receivedAt: receivedAt).contains(millis) else {
                    throw RapportError.invalid("occurred_at", "occurred_at must lie between 2000-01-01 and a day from now (got \(raw)).")
                }
                occurredAt = millis
            }
            _ = try Order.fromSegment(properties: properties, fieldPrefix: "")
            return ImportRow(identifiers: identifiers, traits: traits, order: (orderId, properties), occurredAt: occurredAt)
        }
    }

    /// Orders span consecutive rows with the same order_id (one row per line item): join them.
    static func groupOrders(_ rows: [(Int, ImportRow)]) -> [(rows: [Int], row: ImportRow)] {
        var groups: [(rows: [Int], row: ImportRow)] = []
        for (number, row) in rows {
            if let order = row.order, var last = groups.last, let previous = last.row.order, previous.orderId == order.orderId {
                var properties = previous.properties
                let products = (properties["products"]?.arrayValue ?? []) + (order.properties["products"]?.arrayValue ?? [])
                properties["products"] = .array(products)
                last.row.order = (previous.orderId, properties)
                last.rows.append(number)
                groups[groups.count - 1] = last
            } else {
                groups.append(([number], row))
            }
        }
        return groups
    }

    /// How many pending records to process now: all of them for customers; for orders, up to the last order
    /// boundary, so one order's lines stay in one transaction.
    static func batchCut(_ pending: [CSVParser.Record], columns: ImportColumns) -> Int {
        guard columns.kind == .orders, let index = columns.names.firstIndex(of: "order_id") else { return pending.count }
        let id = { (record: CSVParser.Record) in index < record.fields.count ? record.fields[index] : "" }
        guard let last = pending.last else { return 0 }
        var cut = pending.count
        while cut > 0, id(pending[cut - 1]) == id(last) { cut -= 1 }
        return cut
    }
}
