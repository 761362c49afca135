@testable import IoTHubSimulation
import Testing

/// A TLS setup failure says BoringSSL's reasons, not the library's error type, codes and paths.
@Suite struct HubTLSSetupErrorTests {
    struct LibraryError: Error, CustomStringConvertible {
        var description: String
    }

    @Test("BoringSSL's reasons are kept, its error type, numbers and source paths dropped")
    func plainReason() {
        let error = LibraryError(description: "unknownError([Error: 150995044 error:09000064:PEM routines:OPENSSL_internal:BAD_BASE64_DECODE at /tmp/x/pem_lib.cc:651, Error: 184549385 error:0b000009:X.509 certificate routines:OPENSSL_internal:KEY_VALUES_MISMATCH at /tmp/x/by_file.cc:196])")
        #expect(HubTLSContext.plainReason(error) == "BAD_BASE64_DECODE, KEY_VALUES_MISMATCH")
        #expect(HubTLSContext.plainReason(LibraryError(description: "something else")) == "the TLS library refused them")
    }
}
