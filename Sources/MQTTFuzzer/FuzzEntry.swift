import MQTTFuzzChecks

#if MQTT_FUZZING
/// libFuzzer's entry point: checks one input and crashes on a violated property.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    if let violation = MQTTFuzzCheck.violation(in: UnsafeRawBufferPointer(start: data, count: size)) {
        fatalError(violation)
    }
    return 0
}

/// libFuzzer's driver (`compiler-rt/lib/fuzzer/FuzzerInterface.h`).
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The program's entry point. On Linux SwiftPM links executables with `main` aliased to
/// `<module>_main`, so libFuzzer's own `main` is never used; this one starts its driver.
@_cdecl("MQTTFuzzer_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments) { data, size in fuzzTestOneInput(data, size) }
}
#endif
