/// Fixed-point text for figures in logs and reports, without Foundation's
/// locale-dependent `String(format:)` (Foundation brings ICU's data into a
/// binary; the product's modules import FoundationEssentials only).
///
/// `formatFixed(1.23456, 3)` is `"1.235"`, `formatFixed(-0.0004, 3)` is `"0.000"`,
/// non-finite values are `NaN`, `+Inf`, `-Inf`.
public func formatFixed(_ value: Double, _ decimals: Int) -> String {
    guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "+Inf" : "-Inf") }
    var factor = 1.0
    for _ in 0..<max(0, decimals) { factor *= 10 }
    let scaled = (abs(value) * factor).rounded()
    guard scaled < 9.0e18 else { return String(describing: value) }
    let whole = Int64(scaled / factor)
    var text = String(whole)
    if decimals > 0 {
        let frac = Int64(scaled - Double(whole) * factor)
        let fracText = String(frac)
        text += "." + String(repeating: "0", count: max(0, decimals - fracText.count)) + fracText
    }
    return (value < 0 && scaled > 0 ? "-" : "") + text
}
