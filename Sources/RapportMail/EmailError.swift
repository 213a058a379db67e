/// A message that cannot be rendered as given; `field` names the part of the message at fault.
public enum EmailError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A CR or LF in a header value or address, which would let the value start a header of its own.
    case headerInjection(field: String)
    case invalidAddress(field: String, value: String, reason: String)
    case invalidHeader(name: String, reason: String)
    case invalidUnsubscribeURL(String)
    case noRecipients

    public var description: String {
        switch self {
        case .headerInjection(let field):
            "\(field): line breaks (CR or LF) are not allowed in a header value or address"
        case .invalidAddress(let field, let value, let reason):
            "\(field): \(value.debugDescription) is not an email address (\(reason))"
        case .invalidHeader(let name, let reason):
            "header \(name.debugDescription): \(reason)"
        case .invalidUnsubscribeURL(let value):
            "unsubscribe URL \(value.debugDescription) must be an https:// URL without spaces or <>"
        case .noRecipients:
            "a message needs at least one recipient"
        }
    }
}
