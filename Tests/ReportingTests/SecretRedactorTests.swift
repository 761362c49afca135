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
}
