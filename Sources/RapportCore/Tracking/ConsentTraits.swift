/// The `consent` trait convention of `identify`:
/// `{"consent": {"marketing_email": true, "sms": {"sms": false}, "surveys": "withdrawn"}}`.
/// A boolean or `"granted"`/`"withdrawn"` applies to every channel (`any`); an object gives it per channel.
public enum ConsentTraits {
    public static func parse(_ value: JSONValue?) throws(RapportError) -> [(String, String, ConsentRecord.Status)] {
        guard let value, !value.isNull else { return [] }
        guard let purposes = value.objectValue else {
            throw RapportError.invalid("traits.consent", "traits.consent must be an object of purpose → true/false.")
        }
        var result: [(String, String, ConsentRecord.Status)] = []
        for (rawPurpose, setting) in purposes.sorted(by: { $0.key < $1.key }) {
            let purpose = try ContactPolicy.validName(rawPurpose, field: "traits.consent")
            if let channels = setting.objectValue {
                for (rawChannel, channelSetting) in channels.sorted(by: { $0.key < $1.key }) {
                    let channel = try ContactPolicy.validName(rawChannel, field: "traits.consent.\(purpose)")
                    result.append((purpose, channel, try status(channelSetting, field: "traits.consent.\(purpose).\(channel)")))
                }
            } else {
                result.append((purpose, "any", try status(setting, field: "traits.consent.\(purpose)")))
            }
        }
        return result
    }

    static func status(_ value: JSONValue, field: String) throws(RapportError) -> ConsentRecord.Status {
        switch value {
        case .bool(let granted): return granted ? .granted : .withdrawn
        case .string(let text):
            if let status = ConsentRecord.Status(rawValue: text.lowercased()) { return status }
        default: break
        }
        throw RapportError.invalid(field, "\(field) must be true, false, \"granted\" or \"withdrawn\".")
    }
}
