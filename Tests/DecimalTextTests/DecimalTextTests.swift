import DecimalText
import Testing

@Suite struct DecimalTextTests {
    @Test(arguments: [
        (1.23456, 3, "1.235"), (0.5, 0, "1"), (2.5, 1, "2.5"), (0.05, 2, "0.05"), (12.0, 3, "12.000"),
        (-1.25, 1, "-1.3"), (-0.0004, 3, "0.000"), (0.001, 3, "0.001"), (1234567.891, 2, "1234567.89"),
    ] as [(Double, Int, String)])
    func roundsToTheGivenDecimals(value: Double, decimals: Int, text: String) {
        #expect(formatFixed(value, decimals) == text)
    }

    @Test func nonFiniteAndHugeValuesAreNamedNotTrapped() {
        #expect(formatFixed(.nan, 2) == "NaN")
        #expect(formatFixed(.infinity, 2) == "+Inf")
        #expect(formatFixed(-.infinity, 0) == "-Inf")
        #expect(formatFixed(1e300, 3) == "1e+300")
        #expect(formatFixed(3.5, -2) == "4")
    }
}
