import Mustache

/// A model value as the templates read it: its stored properties by name, found by reflection once and each read on
/// first use. Strings, numbers, booleans, enums and dictionaries stay as they are; arrays hold their elements read the
/// same way; an optional is its value or absent. `{{value}}` of an object shows what the original value's description
/// shows (`DisplayDate`). Only used while one template renders, on one thread.
final class TemplateObject: MustacheParent, CustomStringConvertible {
    private let original: Any
    /// The stored properties as reflected (unread), then as read.
    private var raw: [String: Any]?
    private var read: [String: Any] = [:]

    private init(_ original: Any) {
        self.original = original
    }

    func child(named name: String) -> Any? {
        if let value = read[name] { return value }
        if raw == nil { raw = Self.properties(Mirror(reflecting: original)) }
        guard let value = raw?[name].flatMap(Self.read) else { return nil }
        read[name] = value
        return value
    }

    var description: String { String(describing: original) }

    /// `value` as the templates read it; nil for an absent optional.
    static func read(_ value: Any) -> Any? {
        // The common leaves first, unwrapped from an optional if they are in one (a cast looks through it).
        if let string = value as? String { return string }
        if let flag = value as? Bool { return flag }
        if let number = value as? Int { return number }
        if let number = value as? Double { return number }
        if let number = value as? Int64 { return number }
        // A value that reads its own children (small types drawn many times a page, dictionaries) stays as it is.
        if let parent = value as? any MustacheParent { return parent }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            return mirror.children.first.flatMap { read($0.value) }
        case .collection, .set:
            return mirror.children.compactMap { read($0.value) }
        case .struct, .class:
            return TemplateObject(value)
        default:
            // Enums, tuples, dictionaries (read by key already) and values without a structure.
            return value
        }
    }

    /// The stored properties of `object` as `read` gives them; a nil adds nothing, so what is in `values` stays (a
    /// page's absent value falls back to the chrome's of the same name).
    static func addProperties(of object: Any, to values: inout [String: Any]) {
        for (label, value) in properties(Mirror(reflecting: object)) {
            if let value = read(value) { values[label] = value }
        }
    }

    private static func properties(_ mirror: Mirror) -> [String: Any] {
        var values: [String: Any] = [:]
        for child in mirror.children {
            if let label = child.label { values[label] = child.value }
        }
        return values
    }
}
