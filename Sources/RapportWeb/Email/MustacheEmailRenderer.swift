import Foundation
import Mustache
import RapportCore

/// Renders a workspace's email templates with swift-mustache. The HTML part escapes every `{{value}}` (`{{{value}}}`
/// inserts it as it is, for the template's own markup); the subject and the text part are rendered as text, with
/// nothing escaped. A value the context lacks renders as nothing, as Mustache specifies.
public struct MustacheEmailRenderer: EmailRenderer {
    public init() {}

    public func check(_ content: EmailContent) throws(RapportError) {
        _ = try Self.parse(content.subject, field: "subject", text: true)
        _ = try Self.parse(content.text, field: "text", text: true)
        if let html = content.html { _ = try Self.parse(html, field: "html", text: false) }
    }

    public func render(_ content: EmailContent, context: JSONValue) throws(RapportError) -> EmailContent {
        let values = Self.mustacheValue(context)
        let subject = try Self.parse(content.subject, field: "subject", text: true).render(values)
        let text = try Self.parse(content.text, field: "text", text: true).render(values)
        let html = try content.html.map { (html) throws(RapportError) in try Self.parse(html, field: "html", text: false).render(values) }
        // A header is one line: a value with a line break must not start another header.
        let oneLine = subject.split(whereSeparator: { $0 == "\r" || $0 == "\n" }).joined(separator: " ").trimmed
        return EmailContent(subject: oneLine.isEmpty ? content.subject : oneLine, text: text, html: html)
    }

    static func parse(_ source: String, field: String, text: Bool) throws(RapportError) -> MustacheTemplate {
        do {
            return try MustacheTemplate(string: text ? "{{% CONTENT_TYPE: TEXT}}" + source : source)
        } catch {
            throw RapportError.invalid(field, "\(field) is not a valid Mustache template: \(error).")
        }
    }

    /// JSON as the values Mustache looks names up in: objects as dictionaries, arrays as arrays; `null` is absent.
    static func mustacheValue(_ value: JSONValue) -> Any {
        switch value {
        case .null: return Optional<String>.none as Any
        case .bool(let flag): return flag
        case .number(let number):
            return number.rounded() == number && abs(number) < 9e15 ? String(Int64(number)) : String(number)
        case .bigInteger(let digits): return digits
        case .string(let text): return text
        case .array(let items): return items.map(mustacheValue)
        case .object(let fields): return fields.mapValues(mustacheValue)
        }
    }
}
