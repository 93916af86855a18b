import JSONValue
import Testing
import YAML

@Suite struct CodableTests {
    struct Container: Codable, Equatable {
        var name: String
        var image: String
        var args: [String]?
        var ports: [Port] = []
    }

    struct Port: Codable, Equatable {
        var containerPort: Int
        var `protocol`: String?
    }

    struct Config: Codable, Equatable {
        var enabled: Bool
        var mode: String
        var ratio: Double
        var containers: [Container]
    }

    @Test func decodesTypesFromYAML() throws {
        let text = """
            enabled: yes
            mode: "on"
            ratio: 1
            containers:
              - name: web
                image: nginx
                ports: [{containerPort: 80}]
            """
        let config = try YAMLDecoder().decode(Config.self, from: text)
        #expect(config == Config(
            enabled: true, mode: "on", ratio: 1.0,
            containers: [Container(name: "web", image: "nginx", args: nil, ports: [Port(containerPort: 80)])]))
    }

    @Test func encodesTypesInDeclarationOrderWithoutNulls() throws {
        let config = Config(
            enabled: false, mode: "yes", ratio: 0.5,
            containers: [Container(name: "web", image: "nginx:1", args: nil, ports: [Port(containerPort: 8080, protocol: "TCP")])])
        let text = try YAMLEncoder().encode(config)
        #expect(text == """
            enabled: false
            mode: "yes"
            ratio: 0.5
            containers:
            - name: web
              image: nginx:1
              ports:
              - containerPort: 8080
                protocol: TCP

            """)
        #expect(try YAMLDecoder().decode(Config.self, from: text) == config)
    }

    @Test func decodeAllSkipsEmptyDocuments() throws {
        let ports = try YAMLDecoder().decodeAll(Port.self, from: "containerPort: 1\n---\n---\ncontainerPort: 2\n")
        #expect(ports == [Port(containerPort: 1), Port(containerPort: 2)])
        let text = try YAMLEncoder().encodeAll(ports)
        #expect(text == "containerPort: 1\n---\ncontainerPort: 2\n")
    }

    @Test(arguments: [
        ("name: web\n", "cannot decode Container: missing field image", 1, 1),
        ("name: web\nimage: 3\n", "cannot decode Container: field image: expected String", 2, 8),
        ("name: web\nimage: x\nports:\n  - containerPort: 1\n  - containerPort: yes\n",
         "cannot decode Container: field ports[1].containerPort: expected Int", 5, 20),
        ("name: web\nimage: x\nports:\n  - {containerPort: 1}\n  - protocol: TCP\n",
         "cannot decode Container: missing field ports[1].containerPort", 5, 5),
        ("d: &d {containerPort: x}\nname: web\nimage: x\nports: [*d]\n",
         "cannot decode Container: field ports[0].containerPort: expected Int", 4, 9),
        ("", "cannot decode Container: field (root): expected Dictionary<String, Any>, found null", 0, 0),
    ])
    func decodingErrorsNameTheFieldAndItsPosition(text: String, message: String, line: Int, column: Int) {
        #expect(throws: YAMLError(message: message, line: line, column: column)) {
            try YAMLDecoder().decode(Container.self, from: text)
        }
    }

    @Test func decodeAllReportsPositionsInLaterDocuments() {
        let text = "containerPort: 1\n---\ncontainerPort: x\n"
        #expect(throws: YAMLError(message: "cannot decode Port: field containerPort: expected Int", line: 3, column: 16)) {
            try YAMLDecoder().decodeAll(Port.self, from: text)
        }
    }

    @Test func decodeRejectsSeveralDocuments() {
        #expect(throws: YAMLError(message: "expected a single YAML document, found a second one", line: 2, column: 1)) {
            try YAMLDecoder().decode(Port.self, from: "containerPort: 1\n---\ncontainerPort: 2\n")
        }
    }

    @Test func syntaxErrorsKeepTheirPosition() {
        #expect(throws: YAMLError.self) { try YAMLDecoder().decode(Container.self, from: "name: 'web\n") }
        do {
            _ = try YAMLDecoder().decode(Container.self, from: "name: web\nimage: [\n")
        } catch {
            #expect(error.line == 3)
        }
    }
}
