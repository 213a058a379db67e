/// The tokens in links sent by email (unsubscribe, survey invitations): `SecretToken.make(bytes: 24)`, 32 characters
/// of base64url. Anything else is refused before a lookup.
enum LinkToken {
    static func plausible(_ token: String) -> Bool {
        token.count == 32 && token.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }
}
