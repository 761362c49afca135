/// Renders a ``CodecBenchmark/Report`` as a plain-text table.
public enum CodecBenchmarkFormatter {
    public static func render(_ report: CodecBenchmark.Report) -> String {
        var lines: [String] = []
        let width = report.throughputs.map(\.name.count).max() ?? 0
        lines.append(pad("case", to: width) + "  " + leftPad("ops/s", to: 12) + "  " + leftPad("ns/op", to: 8) + "  " + leftPad("ops", to: 12))
        for throughput in report.throughputs {
            lines.append(
                pad(throughput.name, to: width) + "  " + leftPad(grouped(Int(throughput.rate.rounded())), to: 12) + "  "
                    + leftPad(fixed(throughput.nanosecondsPerOperation, digits: 1), to: 8) + "  "
                    + leftPad(grouped(throughput.operations), to: 12)
            )
        }
        lines.append("")
        let taps = [
            (CodecBenchmark.handlerCountingTap, CodecBenchmark.handlerTapOff, "counting tap, 1000 packets per read"),
            (CodecBenchmark.handlerStoringTap, CodecBenchmark.handlerTapOff, "storing tap, 1000 packets per read"),
            (CodecBenchmark.singleReadCountingTap, CodecBenchmark.singleReadTapOff, "counting tap, 1 packet per read"),
        ]
        for (tap, baseline, label) in taps {
            if let cost = report.tapCost(on: tap, off: baseline) {
                lines.append("tap cost (\(label)): \(fixed(cost * 100, digits: 1))% of handler decode throughput")
            }
        }
        lines.append("")
        if report.heapStatisticsAvailable {
            lines.append("heap kept per decoded PUBLISH (glibc mallinfo2, 10000 packets kept alive):")
            for heap in report.retainedHeap {
                lines.append("  topic \(heap.topicLength) B, payload \(heap.payloadLength) B: \(fixed(heap.bytesPerPacket, digits: 1)) B")
            }
            lines.append("  (a copied payload would add its size; topics over 15 bytes need one String allocation)")
        } else {
            lines.append("heap kept per decoded PUBLISH: not measured (the C library has no mallinfo2)")
        }
        return lines.joined(separator: "\n")
    }

    private static func pad(_ text: String, to width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - text.count))
    }

    private static func leftPad(_ text: String, to width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }

    /// `12345678` as `12,345,678`.
    public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { result.append(",") }
            result.append(digit)
        }
        return value < 0 ? "-" + result : result
    }

    /// `value` with `digits` decimals, without Foundation.
    public static func fixed(_ value: Double, digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (value * scale).rounded()
        let negative = scaled < 0
        let magnitude = Int(abs(scaled))
        let whole = magnitude / Int(scale)
        let fraction = magnitude % Int(scale)
        var fractionText = String(fraction)
        while fractionText.count < digits { fractionText = "0" + fractionText }
        return (negative ? "-" : "") + String(whole) + (digits > 0 ? "." + fractionText : "")
    }
}
