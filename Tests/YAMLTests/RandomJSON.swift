import JSONValue
import SeededRandom

/// Random JSON values biased towards text YAML finds tricky.
struct RandomJSON {
    var rng: SplitMix64

    static let fragments: [String] = [
        "yes", "no", "on", "off", "y", "N", "true", "False", "null", "~", "<<", "=", "0", "1", "0x1F", "0o7", "0777",
        "08", "1e5", "1e999", ".5", ".inf", "-.INF", ".nan", "+", "-", ".", "_", "e", ":", ": ", " #", "#", "- ",
        "? ", "&a", "*a", "!", "!!str", "|", ">", "'", "\"", "%", "@", "`", "[", "]", "{", "}", ",", " ", "  ",
        "\n", "\n\n", "\t", "\r", "\r\n", "\u{85}", "\u{2028}", "\u{2029}", "\u{0}", "\u{7}", "\u{1B}", "\u{7F}",
        "\u{A0}", "\u{FEFF}", "é", "日本", "😀", "\\", "---", "...", "a", "key", "value", "2024-01-02", "12:30",
        "app:v1", "http://x/y", "500m", "1Gi",
    ]

    mutating func value(depth: Int = 0) -> JSON {
        let pick = Int.random(in: 0..<(depth >= 5 ? 6 : 9), using: &rng)
        switch pick {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .int(int())
        case 3: return .double(double())
        case 4, 5: return .string(string())
        case 6: return .array((0..<Int.random(in: 0...4, using: &rng)).map { _ in value(depth: depth + 1) })
        default:
            var object = JSONObject()
            for _ in 0..<Int.random(in: 0...4, using: &rng) { object[string()] = value(depth: depth + 1) }
            return .object(object)
        }
    }

    mutating func int() -> Int64 {
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: return [Int64.min, Int64.max, 0, -1, 1, 511, 777][Int.random(in: 0..<7, using: &rng)]
        case 1: return Int64.random(in: -1000...1000, using: &rng)
        default: return Int64(bitPattern: rng.next())
        }
    }

    mutating func double() -> Double {
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: return [0.0, -0.0, 1.0, 0.1, 1e-5, 1e20, .infinity, -.infinity, .leastNonzeroMagnitude][Int.random(in: 0..<9, using: &rng)]
        case 1: return Double(Int.random(in: -100_000...100_000, using: &rng)) / 100
        default:
            let d = Double(bitPattern: rng.next())
            return d.isNaN ? 0.5 : d  // NaN never equals itself
        }
    }

    mutating func string() -> String {
        var s = ""
        for _ in 0..<Int.random(in: 0...4, using: &rng) {
            if Bool.random(using: &rng) {
                s += Self.fragments[Int.random(in: 0..<Self.fragments.count, using: &rng)]
            } else {
                let scalar = Unicode.Scalar(UInt8.random(in: 0x20...0x7E, using: &rng))
                s.unicodeScalars.append(scalar)
            }
        }
        return s
    }
}
