import FlyteAuthCore
import Testing

@Suite struct JSONParserTests {
    func parse(_ text: String) -> JSONValue? { try? JSONValue.parse(Array(text.utf8), what: "t") }

    @Test func documentsParse() {
        #expect(
            parse(#" {"a": [1, -2.5e2, true, false, null], "b": {"c": "d"}} "#)
                == .object([
                    "a": .array([.number(1), .number(-250), .bool(true), .bool(false), .null]),
                    "b": .object(["c": .string("d")]),
                ]))
        #expect(parse("[]") == .array([]) && parse("{}") == .object([:]) && parse("0") == .number(0))
        #expect(parse(#"{"k": 1, "k": 2}"#) == .object(["k": .number(2)]), "a repeated key: the last one wins")
    }

    @Test func escapesAndUnicode() {
        #expect(parse(#""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{8}\u{c}\n\r\t"))
        #expect(parse(#""\u00e9\u20AC\ud83d\ude00""#) == .string("é€😀"))
        #expect(parse("\"é\"") == .string("é"))
    }

    @Test func malformedDocumentsAreRefused() {
        for bad in [
            "", " ", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "-", "1e", "+1", "tru", "nul", "[1 2]",
            "{\"a\" 1}", "{a:1}", "\"\u{1}\"", "\"abc", #""\x""#, #""\ud800""#, #""\udc00x""#, #""\u12""#,
            "[1]x", "1e999", String(repeating: "[", count: 300) + String(repeating: "]", count: 300),
        ] {
            #expect(parse(bad) == nil, "\(bad.prefix(20)) is not JSON")
        }
    }

    @Test func serialisationRoundTrips() {
        let v: JSONValue = ["s": "line\nquote\"\u{1}", "n": 12, "f": .number(0.5), "a": [true, nil]]
        #expect(parse(v.serialized) == v)
    }
}

@Suite struct Base64Tests {
    @Test func rfc4648Vectors() {
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
        for (plain, encoded) in vectors {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
            #expect(Base64.decode(encoded) == Array(plain.utf8))
        }
        #expect(Base64.encodeURL([0xfb, 0xff]) == "-_8")
        #expect(Base64.decodeURL("-_8") == [0xfb, 0xff])
    }

    @Test func malformedInputIsRefused() {
        for bad in ["Zg=", "Z===", "Zg=a", "Zm9v!A==", "=Zm9", "Zg==Zg=="] {
            #expect(Base64.decode(bad) == nil, "\(bad)")
        }
    }
}
