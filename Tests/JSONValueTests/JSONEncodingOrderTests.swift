import Foundation
import JSONValue
import Testing

/// `JSON(encoding:)` keeps declaration order (JSONEncoder's order changes per process).
@Suite struct JSONEncodingOrderTests {
    struct Port: Codable, Equatable {
        var containerPort: Int
        var name: String?
    }

    struct Spec: Codable, Equatable {
        var zeta: Int
        var alpha: String
        var mid: [Port]
        var optional: String?
        var nested: [String: Int]
        var flag: Bool
        var ratio: Double
        var small: Float
        var tiny: Int8
    }

    enum Shape: Codable, Equatable {
        case circle(radius: Double)
        case square(side: Int, label: String)
        case empty
    }

    static let spec = Spec(
        zeta: 1, alpha: "a", mid: [Port(containerPort: 80, name: nil), Port(containerPort: 443, name: "https")],
        optional: nil, nested: ["only": 1], flag: true, ratio: 0.25, small: 0.1, tiny: -8)

    @Test func keysFollowDeclarationOrderAndAbsentOptionalsAreOmitted() throws {
        let json = try JSON(encoding: Self.spec)
        #expect(json.objectValue?.keys == ["zeta", "alpha", "mid", "nested", "flag", "ratio", "small", "tiny"])
        #expect(json["mid"] == [["containerPort": 80], ["containerPort": 443, "name": "https"]])
        #expect(json["small"] == 0.1)
        #expect(try JSON(encoding: [UInt64.max]) == [.double(Double(UInt64.max))])  // as JSON.parse reads it
        #expect(json.serialized() == (try JSON(encoding: Self.spec)).serialized())
    }

    @Test func agreesWithJSONEncoderUpToKeyOrder() throws {
        let ours = try JSON(encoding: Self.spec)
        let foundation = try JSON.parse(JSONEncoder().encode(Self.spec))
        #expect(ours.isEquivalent(to: foundation))
        #expect(try ours.decode(Spec.self) == Self.spec)
    }

    @Test func enumsWithAssociatedValuesUseNestedContainers() throws {
        let shapes: [Shape] = [.circle(radius: 1.5), .square(side: 2, label: "s"), .empty]
        let json = try JSON(encoding: shapes)
        #expect(json == [["circle": ["radius": 1.5]], ["square": ["side": 2, "label": "s"]], ["empty": [:]]])
        #expect(try json.decode([Shape].self) == shapes)
    }

    @Test func foundationTypesUseJSONEncoderSpelling() throws {
        struct Stamp: Codable { var date: Date; var data: Data; var url: URL }
        let url = try #require(URL(string: "https://x/y"))
        let stamp = Stamp(date: Date(timeIntervalSinceReferenceDate: 10), data: Data([1, 2, 3]), url: url)
        let json = try JSON(encoding: stamp)
        #expect(json == ["date": 10, "data": "AQID", "url": "https://x/y"])
    }

    @Test func jsonValuesEncodeUnchanged() throws {
        let value: JSON = ["b": [1, "x", nil], "a": ["d": true, "c": 1.5]]
        #expect(try JSON(encoding: value) == value)
    }

    @Test func nonFiniteNumbersAreAnError() {
        #expect(throws: JSONCodingError.self) { try JSON(encoding: ["x": Double.nan]) }
        #expect(throws: JSONCodingError.self) { try JSON(encoding: [Float.infinity]) }
    }

    @Test func classInheritanceUsesSuperEncoder() throws {
        class Base: Encodable { var base = 1 }
        final class Derived: Base {
            var own = 2
            enum CodingKeys: String, CodingKey { case own }
            override func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(own, forKey: .own)
                try super.encode(to: container.superEncoder())
            }
        }
        #expect(try JSON(encoding: Derived()) == ["own": 2, "super": ["base": 1]])
    }
}
