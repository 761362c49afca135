import Foundation
import FoundationXML
import HarnessTestSupport
import Reporting
import Testing

@Suite struct SecretRedactorTests {
    @Test("sig= and SharedAccessKey= values are masked up to the next separator")
    func fields() {
        let redactor = SecretRedactor()
        #expect(redactor.redact("a sig=XYZ&se=1 b") == "a sig=***&se=1 b")
        #expect(redactor.redact("HostName=h;SharedAccessKey=abc=;DeviceId=d") == "HostName=h;SharedAccessKey=***;DeviceId=d")
        #expect(redactor.redact("sig=***") == "sig=***")
        #expect(redactor.redact("no secrets") == "no secrets")
    }

    @Test("literal secrets are masked wherever they appear; tiny values are ignored")
    func literals() {
        var redactor = SecretRedactor()
        redactor.register("topsecretkey")
        redactor.register("ab")
        #expect(redactor.redact("x topsecretkey y topsecretkey") == "x *** y ***")
        #expect(redactor.redact("ab") == "ab")
    }

    @Test("secrets are kept longest first, equal lengths in the order registered, each once")
    func order() {
        var redactor = SecretRedactor(secrets: ["bbbb", "aaaaaa", "cccc", "dddddddd", "aaaaaa"])
        redactor.register("eeee")
        #expect(redactor.secrets == ["dddddddd", "aaaaaa", "bbbb", "cccc", "eeee"])
        // A secret inside a longer one: the longer is masked whole.
        redactor.register("dddd")
        #expect(redactor.redact("dddddddd") == "***")
    }

    @Test("ten thousand device keys register at once (a hub's fleet), each masked with its encodings")
    func manyKeys() {
        // Base64 keys with '+', '/' and '=': three values each.
        let keys = (0..<10_000).map { String(format: "k%05d+key/value==", $0) }
        let redactor = SecretRedactor(secrets: keys)
        #expect(redactor.secrets.count == 30_000)
        #expect(redactor.redact("x k09999+key/value== y") == "x *** y")
        #expect(redactor.redact("k00042%2Bkey%2Fvalue%3D%3D") == "***")
        // One pass over a text for all of them: a thousand report lines, each with a key.
        let lines = (0..<1000).map { "device fleet-\($0) key k\(String(format: "%05d", $0 * 7))+key/value== end" }
        let masked = lines.map { redactor.redact($0) }
        #expect(masked.allSatisfy { $0.hasSuffix(" key *** end") }, "\(masked.prefix(3))")
        let bytes = redactor.redact(bytes: Array("t/k00001+key/value==/x".utf8))
        #expect(String(decoding: bytes, as: UTF8.self) == "t/" + String(repeating: "*", count: 18) + "/x")
    }

    @Test("overlapping secrets are masked whole; secrets side by side each; text around non-ASCII kept")
    func overlapping() {
        let redactor = SecretRedactor(secrets: ["xabc", "abcdef", "clé-secrète", "wxyz"])
        #expect(redactor.redact("-xabcdefy-") == "-***y-")
        #expect(redactor.redact("abcdefwxyz") == "******")
        #expect(redactor.redact("ça: clé-secrète, 日本") == "ça: ***, 日本")
        #expect(redactor.redact("abc") == "abc")
        #expect(redactor.redact(bytes: Array("-xabcdefy-".utf8)) == Array("-*******y-".utf8))
    }
}

@Suite struct SecretRedactorEncodingTests {
    @Test("a secret is masked in its percent-encoded forms too, as it appears in a topic's property bag")
    func percentEncoded() {
        let redactor = SecretRedactor(secrets: ["c2VjcmV0LWtleQ==", "a=b c/d"])
        #expect(redactor.redact("bag?reason=c2VjcmV0LWtleQ%3D%3D&x=1") == "bag?reason=***&x=1")
        #expect(redactor.redact("a%3db%20c%2fd") == "***")
        #expect(redactor.redact("a%3Db%20c%2Fd and a=b c/d") == "*** and ***")
        #expect(String(decoding: redactor.redact(bytes: Array("t/c2VjcmV0LWtleQ%3D%3D".utf8)), as: UTF8.self) == "t/" + String(repeating: "*", count: 20))
    }
}
