import Foundation
import RapportCore
import Testing

@Suite("JSON, CSV and timestamp parsing")
struct ParsingTests {
    @Test(arguments: [
        ("{\"b\":1,\"a\":[true,false,null],\"c\":\"x\"}", "{\"a\":[true,false,null],\"b\":1,\"c\":\"x\"}"),
        ("  [ 1.5 , -2, 3e2, 0.25 ]  ", "[1.5,-2,300,0.25]"),
        ("\"line\\nbreak \\\"quoted\\\" \\u00e9 \\ud83d\\ude00 \\/\"", "\"line\\nbreak \\\"quoted\\\" é 😀 /\""),
        ("{}", "{}"),
    ])
    func jsonRoundTripsToCompactSortedForm(input: String, expected: String) throws {
        let value = try JSONCodec.parse(input.utf8)
        #expect(value.jsonText == expected)
        #expect(value.encodedSize == expected.utf8.count)
        // Foundation agrees on the value.
        let foundation = try JSONDecoder().decode(JSONValue.self, from: Data(input.utf8))
        #expect(foundation == value)
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "01", "\"unterminated", "tru", "{\"a\":1}x", "\"\\ud83d\"", "\"a\u{01}b\""])
    func invalidJSONIsRejected(input: String) {
        #expect(throws: JSONCodec.ParseError.self) { try JSONCodec.parse(input.utf8) }
    }

    @Test func controlCharactersAreEscapedOnOutput() {
        let value: JSONValue = ["k": .string("a\u{01}b\tc")]
        #expect(value.jsonText == "{\"k\":\"a\\u0001b\\tc\"}")
        #expect(value.encodedSize == value.jsonText.utf8.count)
    }

    @Test(arguments: [
        ("2026-11-25T12:00:00Z", Int64(1_795_608_000_000)),
        ("2026-11-25T12:00:00.123456Z", Int64(1_795_608_000_123)),
        ("2026-11-25T13:30:00+01:30", Int64(1_795_608_000_000)),
        ("2026-11-25 12:00:00", Int64(1_795_608_000_000)),
        ("2026-11-25", Int64(1_795_564_800_000)),
        ("1970-01-01T00:00:00.5Z", Int64(500)),
    ])
    func iso8601Parses(text: String, millis: Int64) {
        #expect(ISO8601.millis(text) == millis)
    }

    @Test(arguments: ["", "2026-13-01", "2026-11-25T25:00:00Z", "yesterday", "2026-11-25T12:00:00Zjunk", "2026-11-25T12:00:00."])
    func iso8601RejectsGarbage(text: String) {
        #expect(ISO8601.millis(text) == nil)
    }

    @Test(arguments: [
        "2026-02-31T00:00:00Z", "2026-02-29", "2100-02-29", "2026-04-31", "2026-06-31T12:00:00Z", "2026-09-31",
        "2026-11-31", "2026-01-32", "2026-00-10", "2026-11-25T12:00:00+99:99", "2026-11-25T12:00:00+24:00",
        "2026-11-25T12:00:00-01:60", "2026-11-25T12:00:00+01:", "2026-11-25T12:00:00+1",
    ])
    func iso8601RejectsImpossibleDatesAndOffsets(text: String) {
        #expect(ISO8601.millis(text) == nil)
    }

    // Leap days: 2024 and 2000 are leap years (divisible by 4; 2000 by 400); 1900 and 2100 are not.
    @Test(arguments: [
        ("2024-02-29", Int64(1_709_164_800_000)), ("2000-02-29T00:00:00Z", Int64(951_782_400_000)),
        ("2026-01-31", Int64(1_769_817_600_000)), ("2026-11-25T13:30:00+0130", Int64(1_795_608_000_000)),
        ("2026-11-25T13:00:00+01", Int64(1_795_608_000_000)), ("2026-11-25T12:00:00-23:59", Int64(1_795_694_340_000)),
    ])
    func iso8601AcceptsLeapDaysMonthEndsAndOffsetsInRange(text: String, millis: Int64) {
        #expect(ISO8601.millis(text) == millis)
    }

    @Test func csvHandlesQuotesLineBreaksBOMAndChunking() throws {
        let text = "\u{FEFF}email,name\r\n\"a@x.com\",\"Lee, \"\"Ann\"\"\"\nb@x.com,\"two\nlines\"\n\n,\nc@x.com,last"
        let bytes = Array(text.utf8)
        // Feed one byte at a time: records must not depend on chunk boundaries.
        var parser = CSVParser()
        var records: [CSVParser.Record] = []
        for byte in bytes { records += try parser.feed([byte]) }
        if let last = try parser.finish() { records.append(last) }
        #expect(records.map(\.fields) == [["email", "name"], ["a@x.com", "Lee, \"Ann\""], ["b@x.com", "two\nlines"],
                                          ["c@x.com", "last"]])
        #expect(records.map(\.number) == [1, 2, 3, 6])
    }

    @Test func csvReportsAnUnclosedQuote() throws {
        var parser = CSVParser()
        _ = try parser.feed(Array("email\n\"never closed,x\n".utf8))
        #expect(throws: CSVParser.ParseError.unterminatedQuote(record: 2)) { try parser.finish() }
    }

    @Test func trackingMessageCorrectsClockSkew() throws {
        // Device clock one hour fast: sentAt 13:00, event at 12:50 device time; received at 12:00 real time.
        let received = ISO8601.millis("2026-11-25T12:00:00Z")!
        let json: JSONValue = ["type": "track", "event": "Opened", "anonymousId": "a",
                               "timestamp": "2026-11-25T12:50:00Z", "sentAt": "2026-11-25T13:00:00Z"]
        let message = try TrackingMessage.parse(json, endpointType: nil, batchSentAt: nil, receivedAt: received, makeId: { "id" })
        #expect(message.timestamp == ISO8601.millis("2026-11-25T11:50:00Z"))
        let noSentAt = try TrackingMessage.parse(["type": "track", "event": "E", "userId": 42, "timestamp": "2026-01-01T00:00:00Z"],
                                                 endpointType: nil, batchSentAt: nil, receivedAt: received, makeId: { "id" })
        #expect(noSentAt.timestamp == ISO8601.millis("2026-01-01T00:00:00Z"))
        #expect(noSentAt.userId == "42")
        #expect(noSentAt.messageId == "id")
    }

    @Test func trackingMessageIdentifiersAreNormalised() throws {
        let json: JSONValue = ["type": "identify", "userId": "u1", "anonymousId": "a1",
                               "traits": ["email": " Ann@Example.COM ", "phone": "+1 (555) 010-9999"],
                               "context": ["externalIds": [["id": "cus_1", "type": "stripe", "collection": "users"]]]]
        let message = try TrackingMessage.parse(json, endpointType: nil, batchSentAt: nil, receivedAt: 0, makeId: { "m" })
        #expect(message.identifiers.map(\.description).sorted() == [
            "anonymous_id:a1", "email:ann@example.com", "external:stripe/cus_1", "phone:+15550109999", "user_id:u1"])
    }

    @Test(arguments: [
        ("plain", "plain"), ("  padded\t", "padded"), ("\n line \r\n", "line"), ("\u{00A0}é\u{2003}", "é"),
        ("   ", ""), ("", ""), ("inner  space", "inner  space"), (" ünï ", "ünï"),
    ])
    func trimmingRemovesUnicodeWhiteSpaceAtBothEnds(input: String, expected: String) {
        #expect(input.trimmed == expected)
        #expect(input.trimmed == input.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test(arguments: ["Ana@Example.COM", "ana@example.com", "ÉLODIE@exemple.fr", ""])
    func fastLowercasingAgreesWithTheStandardLibrary(input: String) {
        #expect(input.lowercasedFast == input.lowercased())
    }
}
