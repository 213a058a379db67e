import Foundation
@testable import RapportCore
import Testing

@Suite("Roles, scopes and input rules")
struct AccessRulesTests {
    @Test func rolesAreOrderedAndPermissionsGrowWithThem() {
        #expect(Role.owner > Role.admin && Role.admin > Role.agent && Role.agent > Role.analyst)
        #expect(Role.analyst.permissions == [.readData])
        #expect(Role.agent.permissions == [.readData, .writeData])
        #expect(!Role.admin.permissions.contains(.manageOwners))
        #expect(Role.owner.permissions == Permission.allCases)
    }

    @Test(arguments: [(ApiKeyScope.read, Role?.some(.analyst)), (.write, .agent), (.admin, .admin), (.track, nil)])
    func apiKeyScopesActWithARole(scope: ApiKeyScope, role: Role?) {
        #expect(scope.actingRole == role)
    }

    @Test(arguments: ["ann@example.com", " Ann@Example.COM ", "a.b+tag@sub.example.org"])
    func validEmailsAreAcceptedLowerCased(email: String) throws {
        let value = try Validation.email(email)
        #expect(value == value.lowercased())
        #expect(!value.hasPrefix(" "))
    }

    @Test(arguments: ["", "ann", "ann@", "@example.com", "ann@example", "ann example@x.com", "a@b@c.com", "ann@.com"])
    func invalidEmailsNameTheField(email: String) {
        #expect(throws: RapportError.invalid("email", "email must be an email address like name@example.com.")) {
            try Validation.email(email)
        }
    }

    @Test func namesAreTrimmedAndBounded() throws {
        #expect(try Validation.name("  Acme  ") == "Acme")
        #expect(throws: RapportError.self) { try Validation.name("   ") }
        #expect(throws: RapportError.self) { try Validation.name(String(repeating: "x", count: 101)) }
        #expect(throws: RapportError.self) { try Validation.name("a\u{0}b") }
        #expect(try Validation.name(String(repeating: "é", count: 100)).count == 100)
    }

    @Test func passwordsNeedTenToOneHundredTwentyEightCharacters() throws {
        #expect(throws: RapportError.self) { try Validation.password("short") }
        #expect(try Validation.password("ten chars!") == "ten chars!")
        #expect(throws: RapportError.self) { try Validation.password(String(repeating: "p", count: 129)) }
    }

    @Test func secretTokensAreLongAndDistinct() {
        let keys = (0..<100).map { _ in SecretToken.apiKey() }
        #expect(Set(keys).count == 100)
        #expect(keys.allSatisfy { $0.hasPrefix("rk_") && $0.count == 46 })
        #expect(keys.allSatisfy { $0.dropFirst(3).allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" } })
    }

    /// base64url without padding (RFC 4648 §5), checked against Foundation's base64 for every remainder length.
    @Test func secretTokensAreBase64URLOfTheirBytes() {
        var rng = SeededGenerator(seed: 7)
        for count in 0..<40 {
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let expected = Data(bytes).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            #expect(SecretToken.base64url(bytes) == expected, "\(count) bytes")
        }
        #expect(SecretToken.make(bytes: 12).count == 16)
    }

    @Test func hexIsLowerCaseTwoDigitsAByte() {
        #expect(Hex.lowercase([UInt8]()) == "")
        #expect(Hex.lowercase([0x00, 0x0f, 0xab, 0xff]) == "000fabff")
    }
}

@Suite("RFM scoring")
struct RFMScoringTests {
    /// Ten purchasers with revenues 10…100: the empirical-CDF quintile puts two in each score, the best at 5.
    @Test func revenueQuintilesOfTenPurchasers() {
        let purchasers = (1...10).map { (lastOrderAt: Int64($0), orders: 1, revenue: Double($0 * 10)) }
        let scorer = RFMScorer(purchasers: purchasers)
        let scores = (1...10).map { i in
            scorer.scores(CustomerFacts(customerId: "c\(i)", traits: [:], firstSeenAt: 0, lastSeenAt: 0, orderCount: 1,
                                        revenue: Double(i * 10), lastOrderAt: Int64(i))).monetary
        }
        #expect(scores == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
    }

    @Test func tiesShareAScoreAndNonPurchasersScoreZero() {
        let scorer = RFMScorer(purchasers: [(1, 1, 5), (2, 1, 5), (3, 4, 50)])
        let tied = scorer.scores(CustomerFacts(customerId: "a", traits: [:], firstSeenAt: 0, lastSeenAt: 0, orderCount: 1,
                                               revenue: 5, lastOrderAt: 2))
        #expect(tied.frequency == 4)  // ⌈5 · 2/3⌉
        #expect(tied.monetary == 4)
        let best = scorer.scores(CustomerFacts(customerId: "b", traits: [:], firstSeenAt: 0, lastSeenAt: 0, orderCount: 4,
                                               revenue: 50, lastOrderAt: 3))
        #expect(best.total == 15)
        let none = scorer.scores(CustomerFacts(customerId: "c", traits: [:], firstSeenAt: 0, lastSeenAt: 0))
        #expect(none.total == 0)
    }
}
