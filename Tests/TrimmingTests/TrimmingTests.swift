import Testing
import Trimming

struct TrimmingTests {
    @Test(arguments: [
        ("  a b  ", "a b"), ("\t\n x\r\n", "x"), ("", ""), ("   ", ""), ("\n\n", ""), ("a", "a"), (" \u{00A0}é \u{2003}", "é"),
        ("tok-1\n", "tok-1"), ("é\u{301} ", "é\u{301}"),
    ])
    func whitespaceAndNewlinesGoFromBothEnds(input: String, expected: String) {
        #expect(input.trimmingWhitespace() == expected)
        #expect(input[...].trimmingWhitespace() == expected)
    }
}
