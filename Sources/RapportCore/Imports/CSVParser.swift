/// An incremental RFC 4180 CSV parser: feed it chunks as they arrive, take the complete records out. Quoted fields
/// may hold commas, quotes (`""`) and line breaks; a UTF-8 byte-order mark is skipped; CRLF and LF both end records.
public struct CSVParser: Sendable {
    public struct Record: Sendable, Equatable {
        /// The record's number in the file, counting the header as 1 (as a spreadsheet numbers rows).
        public var number: Int
        public var fields: [String]
        /// The index of the first field whose bytes are not UTF-8 (that field then holds them repaired with
        /// U+FFFD, only for messages); nil when every field is valid.
        public var invalidUTF8Field: Int? = nil
    }

    public enum ParseError: Error, Equatable {
        case unterminatedQuote(record: Int)
    }

    private var field: [UInt8] = []
    private var fields: [String] = []
    private var inQuotes = false
    private var quoteSeen = false
    private var atStart = true
    private var fieldStarted = false
    private var lastWasCR = false
    private var recordNumber = 0
    /// The largest accepted field, so one broken quote cannot swallow a whole upload into memory.
    public let maxFieldBytes: Int

    public init(maxFieldBytes: Int = 1 << 20) { self.maxFieldBytes = maxFieldBytes }

    /// Consumes `bytes`; returns the records they complete.
    public mutating func feed(_ bytes: some Sequence<UInt8>) throws(CSVFieldTooLarge) -> [Record] {
        var records: [Record] = []
        for byte in bytes {
            if atStart {
                atStart = false
                if byte == 0xEF { bomBytes = 1; continue }
            }
            if bomBytes > 0 {
                if (bomBytes == 1 && byte == 0xBB) || (bomBytes == 2 && byte == 0xBF) {
                    bomBytes += 1
                    if bomBytes == 3 { bomBytes = 0 }
                    continue
                }
                field.append(0xEF)
                bomBytes = 0
            }
            if inQuotes {
                if byte == UInt8(ascii: "\"") {
                    inQuotes = false
                    quoteSeen = true
                } else {
                    field.append(byte)
                }
            } else {
                switch byte {
                case UInt8(ascii: "\""):
                    if quoteSeen { field.append(byte) }  // "" inside a quoted field
                    inQuotes = true
                    quoteSeen = false
                    fieldStarted = true
                case UInt8(ascii: ","):
                    endField()
                case UInt8(ascii: "\n"):
                    if lastWasCR { lastWasCR = false; continue }
                    if let record = endRecord() { records.append(record) }
                case UInt8(ascii: "\r"):
                    if let record = endRecord() { records.append(record) }
                    lastWasCR = true
                    continue
                default:
                    quoteSeen = false
                    fieldStarted = true
                    field.append(byte)
                }
            }
            lastWasCR = false
            if field.count > maxFieldBytes { throw CSVFieldTooLarge(record: recordNumber + 1, limit: maxFieldBytes) }
        }
        return records
    }

    private var bomBytes = 0
    private var invalidUTF8Field: Int?

    /// Ends the input: the last record, if the file does not end with a line break.
    public mutating func finish() throws(ParseError) -> Record? {
        if inQuotes { throw .unterminatedQuote(record: recordNumber + 1) }
        if fieldStarted || !fields.isEmpty || !field.isEmpty { return endRecord() }
        return nil
    }

    private mutating func endField() {
        if let text = String(validating: field, as: UTF8.self) {
            fields.append(text)
        } else {
            if invalidUTF8Field == nil { invalidUTF8Field = fields.count }
            fields.append(String(decoding: field, as: UTF8.self))
        }
        field.removeAll(keepingCapacity: true)
        quoteSeen = false
        fieldStarted = false
    }

    private mutating func endRecord() -> Record? {
        endField()
        defer { fields.removeAll(keepingCapacity: true); invalidUTF8Field = nil }
        // Blank lines are skipped but still counted, so row numbers match the file.
        recordNumber += 1
        if fields.allSatisfy(\.isEmpty) { return nil }
        return Record(number: recordNumber, fields: fields, invalidUTF8Field: invalidUTF8Field)
    }
}

/// A field longer than the parser accepts.
public struct CSVFieldTooLarge: Error, Equatable {
    public let record: Int
    public let limit: Int
}
