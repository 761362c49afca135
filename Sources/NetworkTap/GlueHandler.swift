#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// Joins two channels: what one reads, the other writes, with back-pressure and half-close
/// passed through (the classic NIO proxy glue), shaped by the link's fault conditions.
///
/// Each handler owns the bytes on their way to its own channel: a ``FlowSchedule`` decides
/// when each piece leaves, and the handler only carries that out (timers at the pieces'
/// departure times, one write and flush per piece when sliced). Reading from a channel waits
/// while the bytes already read for the other side are too many, while the other side cannot
/// take more, and while the link is held (a blackhole). Both handlers of a pair run on the same
/// event loop.
final class GlueHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = NIOAny
    typealias OutboundOut = ByteBuffer

    /// Stop reading the other side while this many bytes wait to be written here.
    static let highWater = 1 << 20
    /// Read again once they fall under this.
    static let lowWater = 1 << 18

    private var partner: GlueHandler?
    private var context: ChannelHandlerContext?
    private var pendingRead = false
    private var schedule: FlowSchedule
    /// The bytes `schedule` speaks of, oldest first.
    private var waiting = CircularBuffer<ByteBuffer>()
    private var timer: (scheduled: Scheduled<Void>, departure: UInt64)?
    /// The other side ended its output: end ours once everything waiting has left.
    private var endsAfterWaiting = false
    /// A fault is closing or resetting the connection: nothing more is read or written.
    private var isCut = false

    private init(schedule: FlowSchedule) {
        self.schedule = schedule
    }

    /// Two handlers, each the other's partner.
    /// - Parameters:
    ///   - toDevice: the schedule of the bytes written to the device's channel.
    ///   - toHub: the schedule of the bytes written to the hub's channel.
    /// - Returns: the handler for the device's channel, then the one for the hub's.
    static func makePair(toDevice: FlowSchedule, toHub: FlowSchedule) -> (device: GlueHandler, hub: GlueHandler) {
        let device = GlueHandler(schedule: toDevice)
        let hub = GlueHandler(schedule: toHub)
        device.partner = hub
        hub.partner = device
        return (device, hub)
    }

    /// The time base of every schedule: NIO's own, so timers fire at the computed departures.
    static func now() -> UInt64 { NIODeadline.now().uptimeNanoseconds }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.scheduled.cancel()
        timer = nil
        self.context = nil
        partner = nil
    }

    // MARK: Bytes from the other side

    private func forward(_ buffer: ByteBuffer) {
        guard !isCut, buffer.readableBytes > 0 else { return }
        let now = Self.now()
        schedule.enqueue(length: buffer.readableBytes, arrivedAt: now)
        waiting.append(buffer)
        drain(now: now)
    }

    /// Writes the pieces due at `now`, ends the output if asked and nothing waits, and sets
    /// the timer for the next piece.
    private func drain(now: UInt64) {
        guard let context, !isCut else { return }
        let due = schedule.takeDue(at: now)
        if !due.isEmpty {
            let sliced = schedule.conditions.sliceBytes != nil
            for piece in due {
                context.write(wrapOutboundOut(cut(piece)), promise: nil)
                if sliced { context.flush() }
            }
            if !sliced { context.flush() }
        }
        if schedule.isEmpty, !schedule.isHeld, endsAfterWaiting {
            endsAfterWaiting = false
            context.close(mode: .output, promise: nil)
        }
        armTimer()
        if schedule.queuedBytes < Self.lowWater { partner?.readIfPending() }
    }

    private func cut(_ piece: FlowSchedule.Piece) -> ByteBuffer {
        guard var front = waiting.first else { preconditionFailure("the schedule and the bytes it speaks of agree") }
        let bytes = front.readSlice(length: piece.length) ?? front
        if piece.endsChunk {
            waiting.removeFirst()
        } else {
            waiting[waiting.startIndex] = front
        }
        return bytes
    }

    private func armTimer() {
        guard let context, let departure = schedule.nextDeparture else {
            timer?.scheduled.cancel()
            timer = nil
            return
        }
        if let timer, timer.departure <= departure { return }
        timer?.scheduled.cancel()
        let scheduled = context.eventLoop.assumeIsolated().scheduleTask(deadline: .uptimeNanoseconds(departure)) { [self] in
            timer = nil
            drain(now: Self.now())
        }
        timer = (scheduled, departure)
    }

    private func endAfterWaiting() {
        endsAfterWaiting = true
        drain(now: Self.now())
    }

    private func closeNow() {
        // A fault closing or resetting the pair closes this side its own way.
        guard !isCut else { return }
        context?.close(promise: nil)
    }

    private func readIfPending() {
        guard pendingRead, mayRead else { return }
        pendingRead = false
        context?.read()
    }

    /// Whether this channel may be read: the other side takes what is read.
    private var mayRead: Bool {
        guard let partner, !isCut, let partnerContext = partner.context else { return false }
        return partnerContext.channel.isWritable && !partner.schedule.isHeld && partner.schedule.queuedBytes < Self.highWater
    }

    // MARK: Fault actions, on the event loop

    /// Takes the link's conditions for the bytes written to this channel, and whether the link
    /// is held.
    func reshape(_ conditions: FlowConditions, isHeld: Bool) {
        let now = Self.now()
        schedule.update(conditions, now: now)
        if isHeld {
            schedule.hold(at: now)
        } else {
            schedule.release(at: now)
        }
        drain(now: now)
        partner?.readIfPending()
    }

    /// Marks the pair's side as cut by a fault: nothing more is read, forwarded or scheduled.
    /// Call it on both handlers before ``closeCleanly()`` or ``reset()``, so that one side's
    /// close does not close the other its own way first.
    /// - Returns: false if a fault already cut it.
    func beginCut() -> Bool {
        guard !isCut else { return false }
        isCut = true
        timer?.scheduled.cancel()
        timer = nil
        return true
    }

    /// Writes everything waiting at once, then closes this channel (FIN).
    func closeCleanly() {
        guard let context else { return }
        let pieces = schedule.takeAll()
        guard !pieces.isEmpty else {
            context.close(promise: nil)
            return
        }
        let promise = context.eventLoop.makePromise(of: Void.self)
        for (index, piece) in pieces.enumerated() {
            context.write(wrapOutboundOut(cut(piece)), promise: index == pieces.count - 1 ? promise : nil)
        }
        context.flush()
        let channel = context.channel
        promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
    }

    /// Forgets everything waiting and resets this channel (RST: `SO_LINGER` 0, then close).
    func reset() {
        schedule.discardAll()
        waiting.removeAll()
        if let context { Self.reset(context.channel) }
    }

    /// Resets `channel` (RST) rather than closing it with FIN.
    static func reset(_ channel: any Channel) {
        let lingering = (channel as? any SocketOptionProvider)?.setSoLinger(linger(l_onoff: 1, l_linger: 0)) ?? channel.eventLoop.makeSucceededVoidFuture()
        lingering.whenComplete { _ in channel.close(promise: nil) }
    }

    // MARK: Channel events

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        partner?.forward(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner?.closeNow()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event {
            partner?.endAfterWaiting()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        partner?.closeNow()
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            partner?.readIfPending()
        }
    }

    func read(context: ChannelHandlerContext) {
        if mayRead {
            context.read()
        } else {
            pendingRead = true
        }
    }
}

@available(*, unavailable)
extension GlueHandler: Sendable {}
