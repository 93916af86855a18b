import ArgumentParser
import JSONValue
import ServingAPI
import YAML

/// `inference-operator crd`: prints the InferenceService CRD generated from the Swift types.
struct CRDCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crd",
        abstract: "Print the InferenceService CustomResourceDefinition (kubectl apply -f -).")

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case yaml, json
    }

    @Option(help: "Output format: yaml or json (JSON is also valid YAML).")
    var format: Format = .yaml

    func run() throws {
        print(Self.render(format), terminator: "")
    }

    /// The exact text printed, ending in one newline.
    static func render(_ format: Format) -> String {
        let crd = InferenceServiceCRD.definition()
        let text: String
        switch format {
        case .yaml: text = YAML.emit(crd)
        case .json: text = crd.prettySerialized()
        }
        return text.hasSuffix("\n") ? text : text + "\n"
    }
}
