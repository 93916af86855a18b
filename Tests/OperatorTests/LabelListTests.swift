@testable import Operator
import Testing

/// `--service-monitor-labels`: key=value pairs, bad input named.
@Suite struct LabelListTests {
    @Test func parsesPairsAndIgnoresEmptyItems() throws {
        #expect(try LabelList.parse("release=prometheus, team=a,") == ["release": "prometheus", "team": "a"])
        #expect(try LabelList.parse("") == [:])
        #expect(try LabelList.parse("example.com/tier=") == ["example.com/tier": ""])
    }

    @Test(arguments: [("release", "no '='"), ("=x", "not a Kubernetes label key"), ("a b=c", "not a Kubernetes label key"),
                      ("a=1,a=2", "given twice")])
    func rejectsBadInputNamingTheProblem(text: String, problem: String) {
        #expect { try LabelList.parse(text) } throws: { ($0 as? LabelList.ParseError)?.description.contains(problem) == true }
    }
}
