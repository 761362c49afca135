/// What an HTML run report shows: a step table, a sequence diagram and latency histograms.
public struct HTMLReport: Sendable, Hashable {
    /// One row of the step table.
    public struct StepRow: Sendable, Hashable {
        public enum Status: String, Sendable, Hashable {
            case passed, failed, errored, skipped
        }

        public var name: String
        public var status: Status
        public var seconds: Double
        public var detail: String

        public init(name: String, status: Status, seconds: Double, detail: String = "") {
            self.name = name
            self.status = status
            self.seconds = seconds
            self.detail = detail
        }
    }

    public var title: String
    public var subtitle: String
    public var passed: Bool
    public var steps: [StepRow]
    public var diagram: SequenceDiagram
    public var histograms: [Histogram]

    public init(title: String, subtitle: String, passed: Bool, steps: [StepRow], diagram: SequenceDiagram, histograms: [Histogram]) {
        self.title = title
        self.subtitle = subtitle
        self.passed = passed
        self.steps = steps
        self.diagram = diagram
        self.histograms = histograms
    }
}

/// A sequence diagram: lanes (cloud, hub, devices) and what passed between them over time.
public struct SequenceDiagram: Sendable, Hashable {
    /// How an arrow or note is drawn.
    public enum Style: String, Sendable, Hashable {
        /// An MQTT packet.
        case packet
        /// A cloud-side action (C2D send, clock jump).
        case cloud
        /// A device state change (LED, pin, output).
        case state
        /// Something going wrong (drop, refusal, crash).
        case fault
        /// A scenario step starting.
        case step
    }

    /// One row of the diagram.
    public struct Event: Sendable, Hashable {
        /// Seconds since the start of the run.
        public var time: Double
        public var from: Int
        /// Same as `from` for a note on one lane.
        public var to: Int
        public var label: String
        public var style: Style

        public init(time: Double, from: Int, to: Int, label: String, style: Style) {
            self.time = time
            self.from = from
            self.to = to
            self.label = label
            self.style = style
        }
    }

    /// A latency drawn as a bracket between two rows.
    public struct Span: Sendable, Hashable {
        public var fromEvent: Int
        public var toEvent: Int
        public var label: String

        public init(fromEvent: Int, toEvent: Int, label: String) {
            self.fromEvent = fromEvent
            self.toEvent = toEvent
            self.label = label
        }
    }

    public var lanes: [String]
    public var events: [Event]
    public var spans: [Span]
    /// Events left out to keep the page small.
    public var omittedEvents: Int

    public init(lanes: [String], events: [Event], spans: [Span] = [], omittedEvents: Int = 0) {
        self.lanes = lanes
        self.events = events
        self.spans = spans
        self.omittedEvents = omittedEvents
    }
}

/// Latency samples of one metric of a `repeat` block.
public struct Histogram: Sendable, Hashable {
    public var title: String
    /// Samples in milliseconds.
    public var milliseconds: [Double]

    public init(title: String, milliseconds: [Double]) {
        self.title = title
        self.milliseconds = milliseconds
    }
}
