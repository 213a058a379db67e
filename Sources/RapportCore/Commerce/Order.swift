/// A purchase: from a Segment `Order Completed` event, `POST /api/v1/orders` or a CSV import.
public struct Order: Sendable, Equatable {
    public enum Status: String, Sendable, Codable, CaseIterable { case completed, refunded }

    public var id: String
    public var workspaceId: String
    /// The shop's own order id (Segment's `order_id`); unique per workspace.
    public var orderId: String
    public var customerId: String?
    public var status: Status
    public var currency: String
    /// What the customer paid, in minor units of `currency` (cents): Segment's `total`, else `revenue`, else the sum
    /// of the lines.
    public var totalMinorUnits: Int64
    public var occurredAt: Int64
    public var refundedAt: Int64?
    public var source: String
    public var lines: [OrderLine]

    public init(id: String, workspaceId: String, orderId: String, customerId: String?, status: Status = .completed,
                currency: String, totalMinorUnits: Int64, occurredAt: Int64, refundedAt: Int64? = nil, source: String,
                lines: [OrderLine]) {
        self.id = id
        self.workspaceId = workspaceId
        self.orderId = orderId
        self.customerId = customerId
        self.status = status
        self.currency = currency
        self.totalMinorUnits = totalMinorUnits
        self.occurredAt = occurredAt
        self.refundedAt = refundedAt
        self.source = source
        self.lines = lines
    }
}

/// One product line of an order (Segment e-commerce spec `products[]`).
public struct OrderLine: Sendable, Equatable {
    public var productId: String?
    public var sku: String?
    public var name: String?
    public var category: String?
    /// The price of one item, in minor units of the order's currency.
    public var priceMinorUnits: Int64
    public var quantity: Int

    public init(productId: String?, sku: String?, name: String?, category: String?, priceMinorUnits: Int64, quantity: Int) {
        self.productId = productId
        self.sku = sku
        self.name = name
        self.category = category
        self.priceMinorUnits = priceMinorUnits
        self.quantity = quantity
    }
}

/// A customer's purchase summary. Refunded orders do not count. Amounts in different currencies are never added up:
/// `revenue` and `averageOrderValue` are in `currency`, the one most of the person's orders were paid in (the
/// latest order's on a tie); `byCurrency` has every currency's own totals.
public struct PurchaseStats: Sendable, Equatable {
    /// Completed orders in one currency.
    public struct CurrencyTotal: Sendable, Equatable {
        public var currency: String
        public var orderCount: Int
        /// The orders' totals added up, in minor units of `currency`.
        public var revenueMinorUnits: Int64
        /// When the first and the latest of these orders were placed.
        public var firstOrderAt: Int64
        public var lastOrderAt: Int64

        public init(currency: String, orderCount: Int, revenueMinorUnits: Int64, firstOrderAt: Int64, lastOrderAt: Int64) {
            self.currency = currency
            self.orderCount = orderCount
            self.revenueMinorUnits = revenueMinorUnits
            self.firstOrderAt = firstOrderAt
            self.lastOrderAt = lastOrderAt
        }

        /// Revenue divided by orders in minor units, rounded half to even; 0 without orders.
        public var averageOrderValueMinorUnits: Int64 { Money.average(minorUnits: revenueMinorUnits, count: orderCount) }
    }

    /// Every currency's totals, the main currency first.
    public var byCurrency: [CurrencyTotal]

    public init(byCurrency: [CurrencyTotal]) {
        self.byCurrency = byCurrency.sorted {
            ($0.orderCount, $0.lastOrderAt, $1.currency) > ($1.orderCount, $1.lastOrderAt, $0.currency)
        }
    }

    public static let none = PurchaseStats(byCurrency: [])

    /// The first completed order in any currency; nil without orders.
    public var firstOrderAt: Int64? { byCurrency.map(\.firstOrderAt).min() }
    /// The latest completed order in any currency; nil without orders.
    public var lastOrderAt: Int64? { byCurrency.map(\.lastOrderAt).max() }

    /// Completed orders in every currency.
    public var orderCount: Int { byCurrency.reduce(0) { $0 + $1.orderCount } }
    /// The currency most orders were paid in; nil without orders.
    public var currency: String? { byCurrency.first?.currency }
    /// Revenue in minor units of `currency`; 0 without orders.
    public var revenueMinorUnits: Int64 { byCurrency.first?.revenueMinorUnits ?? 0 }
    /// Revenue in `currency` divided by the orders paid in it, in minor units; 0 without orders.
    public var averageOrderValueMinorUnits: Int64 { byCurrency.first?.averageOrderValueMinorUnits ?? 0 }

    /// Two or more completed orders.
    public var isRepeatPurchaser: Bool { orderCount >= 2 }
}

/// The workspace's repeat purchase rate: customers with ≥ 2 completed orders over customers with ≥ 1.
public struct RepeatPurchaseRate: Sendable, Equatable {
    public var purchasers: Int
    public var repeatPurchasers: Int

    public init(purchasers: Int, repeatPurchasers: Int) {
        self.purchasers = purchasers
        self.repeatPurchasers = repeatPurchasers
    }

    /// Nil when nobody has bought yet.
    public var rate: Double? { purchasers == 0 ? nil : Double(repeatPurchasers) / Double(purchasers) }

    /// The 95 % Wilson interval of the rate: where the rate of the customers behind these buyers plausibly lies.
    /// Nil when nobody has bought yet.
    public var interval: ProportionInterval? { ProportionInterval.wilson(successes: repeatPurchasers, trials: purchasers) }
}

extension Order {
    /// Reads an order from Segment e-commerce spec properties (`order_id`, `total`/`revenue`, `currency`, `products`).
    /// Tracking is lenient as Segment is (numbers may come as strings); the REST API passes `strict` and a field
    /// prefix of "" so its errors name its own fields and wrong JSON types are refused. Amounts become minor units of
    /// the currency, rounded half to even when they have more decimals than it (`Money.minorUnits`).
    public static func fromSegment(properties: [String: JSONValue], strict: Bool = false, fieldPrefix: String = "properties.")
        throws(RapportError) -> (orderId: String, currency: String, totalMinorUnits: Int64, lines: [OrderLine]) {
        func field(_ name: String) -> String { fieldPrefix + name }
        func number(_ value: JSONValue?, _ name: String) throws(RapportError) -> Double? {
            guard let value, !value.isNull else { return nil }
            if strict, value.typeName == "number", let number = value.numberValue { return number }
            if !strict, let number = value.numberValue { return number }
            throw RapportError.invalid(field(name), "\(field(name)) must be a number.")
        }
        func text(_ value: JSONValue?, _ name: String) throws(RapportError) -> String? {
            guard let value, !value.isNull else { return nil }
            if let string = value.stringValue { return string }
            if strict { throw RapportError.invalid(field(name), "\(field(name)) must be a string.") }
            return nil
        }
        let currency = (try text(properties["currency"], "currency") ?? "USD").uppercased()
        guard currency.count == 3, currency.allSatisfy({ $0.isASCII && $0.isLetter }) else {
            throw RapportError.invalid(field("currency"), "currency must be an ISO 4217 code like USD.")
        }
        let maxMinorUnits = Money.maxUnits * Money.minorUnitsPerUnit(currency)
        /// An amount in minor units, from 0 to 10^12 in the currency's units.
        func amount(_ value: JSONValue?, _ name: String) throws(RapportError) -> Int64? {
            guard let value, !value.isNull else { return nil }
            if strict, value.typeName != "number" { throw RapportError.invalid(field(name), "\(field(name)) must be a number.") }
            guard let minor = Money.minorUnits(value, currency: currency, acceptStrings: !strict),
                  minor >= 0, minor <= maxMinorUnits else {
                throw RapportError.invalid(field(name), "\(field(name)) must be a number from 0 to 10^12.")
            }
            return minor
        }
        let rawId = properties["order_id"] ?? properties["orderId"]
        let orderId: String?
        if strict {
            orderId = try text(rawId, "order_id")
        } else {
            orderId = rawId?.stringValue ?? rawId?.integerText
        }
        guard let orderId, !orderId.isEmpty, orderId.count <= 255 else {
            throw RapportError.invalid(field("order_id"), "An order needs \(field("order_id")) (1–255 characters).")
        }
        var lines: [OrderLine] = []
        var lineSum: Int64 = 0
        let products = properties["products"]?.nonNull
        if let products, products.arrayValue == nil { throw RapportError.invalid(field("products"), "\(field("products")) must be an array.") }
        for (index, product) in (products?.arrayValue ?? []).enumerated() {
            let path = "products[\(index)]"
            guard let fields = product.objectValue else {
                throw RapportError.invalid(field(path), "Each product must be an object.")
            }
            let quantity = try number(fields["quantity"], "\(path).quantity") ?? 1
            guard quantity >= 0, quantity <= 1_000_000, quantity == quantity.rounded() else {
                throw RapportError.invalid(field("\(path).quantity"), "quantity must be a whole number from 0 to 1,000,000.")
            }
            let price = try amount(fields["price"], "\(path).price") ?? 0
            let (lineTotal, overflow) = price.multipliedReportingOverflow(by: Int64(quantity))
            let (sum, overflowSum) = lineSum.addingReportingOverflow(lineTotal)
            guard !overflow, !overflowSum else {
                throw RapportError.invalid(field("\(path).price"), "The lines add up to more than Rapport can hold.")
            }
            lineSum = sum
            lines.append(OrderLine(
                productId: try text(fields["product_id"], "\(path).product_id") ?? fields["productId"]?.stringValue
                    ?? fields["id"]?.stringValue,
                sku: try text(fields["sku"], "\(path).sku"), name: try text(fields["name"], "\(path).name"),
                category: try text(fields["category"], "\(path).category"), priceMinorUnits: price, quantity: Int(quantity)))
        }
        let explicitTotal = try amount(properties["total"], "total")
        let revenue = try amount(properties["revenue"], "revenue")
        let total = explicitTotal ?? revenue ?? lineSum
        return (orderId, currency, total, lines)
    }
}

extension Order {
    /// How an order appears on the timeline: with its lines, amounts as decimal numbers with the currency's decimals.
    public var timelineProperties: JSONValue {
        [
            "order_id": .string(orderId), "total": Money.json(minorUnits: totalMinorUnits, currency: currency),
            "currency": .string(currency),
            "status": .string(status.rawValue),
            "products": .array(lines.map { line in
                [
                    "product_id": JSONValue(line.productId), "sku": JSONValue(line.sku), "name": JSONValue(line.name),
                    "category": JSONValue(line.category), "price": Money.json(minorUnits: line.priceMinorUnits, currency: currency),
                    "quantity": JSONValue(line.quantity),
                ]
            }),
        ]
    }
}
