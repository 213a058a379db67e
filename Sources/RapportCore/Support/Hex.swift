/// Lower-case hexadecimal text of bytes (digests), written into one buffer.
public enum Hex {
    public static func lowercase<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { buffer in
            let digits: StaticString = "0123456789abcdef"
            var out = 0
            for byte in bytes {
                buffer[out] = digits.utf8Start[Int(byte >> 4)]
                buffer[out + 1] = digits.utf8Start[Int(byte & 0xF)]
                out += 2
            }
            return out
        }
    }
}
