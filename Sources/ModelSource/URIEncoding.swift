/// Percent-encoding as AWS Signature Version 4 defines it: the unreserved
/// characters `A-Z a-z 0-9 - _ . ~` stay, every other UTF-8 byte becomes
/// `%XX` (upper-case hex). S3 signs the path encoded once this way, so URLs
/// built with it are already in canonical form for libcurl's signer.
public enum URIEncoding {
    public static func encode(_ text: String, keepSlash: Bool) -> String {
        var out = ""
        for byte in text.utf8 {
            let c = Unicode.Scalar(byte)
            if ("A"..."Z").contains(c) || ("a"..."z").contains(c) || ("0"..."9").contains(c) || "-_.~".unicodeScalars.contains(c)
                || (keepSlash && c == "/")
            {
                out.unicodeScalars.append(c)
            } else {
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out += "%"
                out.unicodeScalars.append(hex[Int(byte >> 4)])
                out.unicodeScalars.append(hex[Int(byte & 0x0F)])
            }
        }
        return out
    }
}
