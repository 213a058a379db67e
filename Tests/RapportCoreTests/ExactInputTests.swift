import Foundation
import RapportCore
import Testing

/// Input is refused, never repaired (issue 9, points 1, 2 and 4): repairing invalid UTF-8 or rounding a large
/// integer makes two different ids one; U+0000 cannot be stored on PostgreSQL.
@Suite("Exact input: UTF-8, large integers, NUL, bounded times")
struct ExactInputTests {
    static func reason(_ bytes: [UInt8]) -> JSONCodec.ParseError.Reason? {
        do {
            _ = try JSONCodec.parse(bytes)
            return nil
        } catch let error as JSONCodec.ParseError {
            return error.reason
        } catch {
            return nil
        }
    }

    @Test(arguments: [
        [0x22, 0x61, 0xFF, 0x22] as [UInt8],            // a byte that is never UTF-8
        [0x22, 0xC3, 0x22],                             // a truncated two-byte sequence
        [0x22, 0xED, 0xA0, 0x80, 0x22],                 // an encoded surrogate (CESU-8)
        [0x22, 0xC0, 0xAF, 0x22],                       // an overlong "/"
        [0x22, 0x5C, 0x6E, 0x61, 0xE9, 0x22],           // after an escape (the slow path): Latin-1 "é"
        [0x7B, 0x22, 0xE9, 0x22, 0x3A, 0x31, 0x7D],     // in an object key
    ])
    func invalidUTF8IsRefusedNotReplaced(bytes: [UInt8]) {
        #expect(Self.reason(bytes) == .invalidUTF8)
    }

    @Test func validUTF8StillParses() throws {
        let value = try JSONCodec.parse(Array("{\"é\":\"日本 😀 \\n ü\"}".utf8))
        #expect(value["é"]?.stringValue == "日本 😀 \n ü")
    }

    @Test(arguments: ["1e309", "-1e309", "[1E400]", String(repeating: "9", count: 400), "{\"n\":-" + String(repeating: "1", count: 310) + "}"])
    func numbersADoubleCannotHoldAreRefused(text: String) {
        #expect(Self.reason(Array(text.utf8)) == .numberOutOfRange)
    }

    @Test(arguments: [
        ("9007199254740993", "9007199254740993"), ("-9007199254740993", "-9007199254740993"),
        ("18446744073709551617", "18446744073709551617"), ("123456789012345678901234567890", "123456789012345678901234567890"),
    ])
    func integersBeyondTwoToThe53KeepTheirDigits(text: String, digits: String) throws {
        let value = try JSONCodec.parse(Array(text.utf8))
        #expect(value == .bigInteger(digits))
        #expect(value.jsonText == digits)
        #expect(value.encodedSize == digits.utf8.count)
        #expect(value.integerText == digits)
        #expect(value.typeName == "number")
        #expect(try JSONCodec.parse(Array("[\(text)]".utf8)).jsonText == "[\(digits)]")
    }

    @Test func integersUpToTwoToThe53StayNumbers() throws {
        #expect(try JSONCodec.parse(Array("9007199254740992".utf8)) == .number(9_007_199_254_740_992))
        #expect(try JSONCodec.parse(Array("-9007199254740992".utf8)) == .number(-9_007_199_254_740_992))
        #expect(try JSONCodec.parse(Array("1234567890123456".utf8)) == .number(1_234_567_890_123_456))
        #expect(try JSONCodec.parse(Array("1.5e300".utf8)) == .number(1.5e300))
        #expect(JSONValue.number(9_007_199_254_740_992).integerText == "9007199254740992")
        #expect(JSONValue.number(1.5).integerText == nil)
    }

    @Test func numericUserIdsAboveTwoToThe53StayDistinct() throws {
        func userId(_ literal: String) throws -> String? {
            let json = try JSONCodec.parse(Array("{\"type\":\"track\",\"event\":\"E\",\"userId\":\(literal)}".utf8))
            return try TrackingMessage.parse(json, endpointType: nil, batchSentAt: nil, receivedAt: 0, makeId: { "m" }).userId
        }
        #expect(try userId("9007199254740993") == "9007199254740993")
        #expect(try userId("9007199254740992") == "9007199254740992")
        #expect(try userId("9000000000000001") == "9000000000000001")
        #expect(try userId("42") == "42")
    }

    @Test func nulIsReportedWithItsPath() throws {
        var containsNUL = false
        let value = try JSONCodec.parse(Array(#"{"a":"x","p":{"items":[{"sku":"ok"},{"sku":"b\u0000d"}]}}"#.utf8),
                                        containsNUL: &containsNUL)
        #expect(containsNUL)
        #expect(value.pathOfNUL("") == "p.items[1].sku")
        #expect(value.pathOfNUL("properties") == "properties.p.items[1].sku")
        var clean = true
        _ = try JSONCodec.parse(Array(#"{"a":"\\u0000 is text here"}"#.utf8), containsNUL: &clean)
        #expect(!clean)
        let key = try JSONCodec.parse(Array(#"{"k\u0000":1}"#.utf8))
        #expect(key.pathOfNUL("traits") == "traits.k\u{0}")
    }

    @Test func segmentRulesRefuseNULNamingThePath() {
        // The web form hands the rule to SegmentRule.parse without JSONBody, so the rule checks it itself.
        let rule: JSONValue = ["all": [["field": "trait.plan", "op": "eq", "value": "pro"],
                                       ["field": "trait.plan", "op": "eq", "value": "a\u{0}b"]]]
        #expect(throws: RapportError.invalid("rule.all[1].value", "rule.all[1].value must not contain the NUL character (U+0000).")) {
            try SegmentRule.parse(rule)
        }
    }

    @Test func csvMarksTheFirstFieldThatIsNotUTF8() throws {
        var parser = CSVParser()
        let records = try parser.feed([UInt8]("email,name\na@x.com,caf".utf8) + [0xE9] + [UInt8]("\nb@x.com,ok\n".utf8))
        #expect(records.map(\.invalidUTF8Field) == [nil, 1, nil])
        #expect(records[2].fields == ["b@x.com", "ok"])
    }

    // MARK: - Bounded clock-skew correction

    static let received = ISO8601.millis("2026-11-25T12:00:00Z")!

    @Test(arguments: [
        // Correction within range: applied (Segment's formula).
        ("2026-11-25T12:50:00Z", "2026-11-25T13:00:00Z", "2026-11-25T11:50:00Z"),
        // Year 9999 stamped, sent in year 0001: the correction gives year 12025; neither is plausible.
        ("9999-12-31T00:00:00Z", "0001-01-01T00:00:00Z", "2026-11-25T12:00:00Z"),
        ("0001-01-01T00:00:00Z", "9999-12-31T00:00:00Z", "2026-11-25T12:00:00Z"),
        // A plausible stamp with a broken sentAt keeps the stamp.
        ("2026-01-02T03:04:05Z", "0001-01-01T00:00:00Z", "2026-01-02T03:04:05Z"),
        // A device reset to 1970 that says so in sentAt too is corrected (the point of the formula).
        ("1970-01-01T00:05:00Z", "1970-01-01T00:06:00Z", "2026-11-25T11:59:00Z"),
    ])
    func skewCorrectionIsBounded(timestamp: String, sentAt: String, expected: String) {
        let corrected = EventTime.corrected(timestamp: ISO8601.millis(timestamp), sentAt: ISO8601.millis(sentAt),
                                            receivedAt: Self.received)
        #expect(corrected == ISO8601.millis(expected), "\(Timestamp.iso8601(corrected))")
    }

    @Test func statedTimesOutsideTheRangeFallBackToReceived() {
        let day: Int64 = 86_400_000
        #expect(EventTime.corrected(timestamp: Self.received + day, sentAt: nil, receivedAt: Self.received) == Self.received + day)
        #expect(EventTime.corrected(timestamp: Self.received + day + 1, sentAt: nil, receivedAt: Self.received) == Self.received)
        #expect(EventTime.corrected(timestamp: EventTime.earliest, sentAt: nil, receivedAt: Self.received) == EventTime.earliest)
        #expect(EventTime.corrected(timestamp: EventTime.earliest - 1, sentAt: nil, receivedAt: Self.received) == Self.received)
        #expect(EventTime.corrected(timestamp: nil, sentAt: nil, receivedAt: Self.received) == Self.received)
        #expect(Timestamp.iso8601(EventTime.earliest) == "2000-01-01T00:00:00.000Z")
    }
}
