@testable import HTTP
import Testing

@Suite struct ResponseHeadParserTests {
    private func parse(_ lines: [String]) -> (head: ResponseHead?, completedAt: Int?) {
        var parser = ResponseHeadParser()
        for (index, line) in lines.enumerated() {
            if let head = parser.consume(line: Array(line.utf8)) { return (head, index) }
        }
        return (parser.partialHead, nil)
    }

    @Test func collectsStatusAndFieldsInOrder() {
        let result = parse(["HTTP/1.1 200 OK\r\n", "Content-Type: text/plain\r\n", "Set-Cookie: a=1\r\n",
                            "Set-Cookie:  b=2 \r\n", "\r\n"])
        #expect(result.completedAt == 4)
        #expect(result.head?.status == 200)
        #expect(result.head?.headers.fields.map(\.name) == ["Content-Type", "Set-Cookie", "Set-Cookie"])
        #expect(result.head?.headers.values("set-cookie") == ["a=1", "b=2"])
    }

    @Test func keepsOnlyTheFinalResponseAfterInterimOnes() {
        let result = parse(["HTTP/1.1 100 Continue\r\n", "X-Interim: yes\r\n", "\r\n",
                            "HTTP/1.1 103 Early Hints\r\n", "Link: </a>\r\n", "\r\n",
                            "HTTP/1.1 201 Created\r\n", "Location: /x\r\n", "\r\n"])
        #expect(result.head?.status == 201)
        #expect(result.head?.headers["X-Interim"] == nil)
        #expect(result.head?.headers["Link"] == nil)
        #expect(result.head?.headers["location"] == "/x")
    }

    @Test func followedRedirectsAreInterimOnlyWhenFollowing() {
        let lines = ["HTTP/1.1 302 Found\r\n", "Location: /next\r\n", "\r\n", "HTTP/1.1 200 OK\r\n", "X-Final: 1\r\n", "\r\n"]
        var following = ResponseHeadParser(followsRedirects: true)
        var notFollowing = ResponseHeadParser()
        var heads: [ResponseHead] = []
        for line in lines {
            if let head = following.consume(line: Array(line.utf8)) { heads.append(head) }
            if let head = notFollowing.consume(line: Array(line.utf8)) { heads.append(head) }
        }
        #expect(heads == [ResponseHead(status: 302, headers: ["Location": "/next"]), ResponseHead(status: 200, headers: ["X-Final": "1"])])
    }

    @Test func redirectWithoutLocationIsFinalEvenWhenFollowing() {
        var parser = ResponseHeadParser(followsRedirects: true)
        for line in ["HTTP/1.1 304 Not Modified\r\n", "ETag: x\r\n", "\r\n"] { _ = parser.consume(line: Array(line.utf8)) }
        #expect(parser.completedHead?.status == 304)
    }

    @Test func ignoresTrailersAfterTheHead() {
        var parser = ResponseHeadParser()
        for line in ["HTTP/2 200\r\n", "a: 1\r\n", "\r\n"] { _ = parser.consume(line: Array(line.utf8)) }
        #expect(parser.consume(line: Array("Trailer-Field: x\r\n".utf8)) == nil)
        #expect(parser.completedHead == ResponseHead(status: 200, headers: ["a": "1"]))
    }

    @Test func joinsFoldedLinesToThePreviousField() {
        let result = parse(["HTTP/1.1 200 OK\r\n", "X-Long: part one\r\n", "\t part two\r\n", "\r\n"])
        #expect(result.head?.headers["X-Long"] == "part one part two")
    }

    @Test(arguments: [
        ("HTTP/1.1 204 No Content", 204), ("HTTP/2 404", 404), ("HTTP/1.0 302 Found", 302),
        ("HTTP/1.1 20 Short", nil), ("HTTP/1.1 abc", nil), ("HTTP/1.1", nil), ("HTTP/1.1  500  Spaces", 500),
    ] as [(String, Int?)])
    func readsStatusCodes(line: String, expected: Int?) {
        #expect(ResponseHeadParser.statusCode(ofStatusLine: Array(line.utf8)[...]) == expected)
    }

    @Test func linesBeforeAnyStatusLineAreIgnored() {
        let result = parse(["garbage: 1\r\n", "\r\n", "HTTP/1.1 200 OK\r\n", "\r\n"])
        #expect(result.head == ResponseHead(status: 200, headers: [:]))
    }

    @Test func partialHeadIsAvailableWithoutTheBlankLine() {
        let result = parse(["HTTP/1.0 200 OK\r\n", "Server: old\r\n"])
        #expect(result.completedAt == nil)
        #expect(result.head == ResponseHead(status: 200, headers: ["Server": "old"]))
    }
}
