extension String {
    /// Whether the UTF-8 form holds a zero byte (U+0000, [MQTT-1.5.3-2]), checked over the
    /// contiguous storage where there is one.
    var containsNullByte: Bool {
        if let found = utf8.withContiguousStorageIfAvailable({ $0.contains(0) }) { return found }
        return utf8.contains(0)
    }
}
