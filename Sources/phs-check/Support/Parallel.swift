import Foundation

/// Work started on its own thread at once, its result taken when it is needed: `compare` reads
/// the snapshot while the export is read, `check` the directory while the export is.
final class BackgroundWork<Value>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<Value, Failure>?

    init(_ body: @escaping @Sendable () throws(Failure) -> Value) {
        Thread.detachNewThread { [self] in
            result = Result { () throws(Failure) in try body() }
            done.signal()
        }
    }

    /// Waits for the work and returns its value, or throws its failure.
    func value() throws(Failure) -> Value {
        done.wait()
        return try result!.get()
    }
}

/// Runs `body` for each item, at most `limit` at a time, each on its own thread; the results
/// come back in the items' order.
func boundedParallelMap<Item: Sendable, Result: Sendable>(_ items: [Item], limit: Int,
                                                          _ body: @escaping @Sendable (Item) -> Result) -> [Result] {
    if items.count == 1 { return [body(items[0])] }
    let slots = ParallelSlots<Result>(items.count)
    let gate = DispatchSemaphore(value: limit)
    let group = DispatchGroup()
    for (index, item) in items.enumerated() {
        gate.wait()
        group.enter()
        Thread.detachNewThread {
            let result = body(item)
            slots.lock.withLock { slots.results[index] = result }
            gate.signal()
            group.leave()
        }
    }
    group.wait()
    return slots.results.map { $0! }
}

/// The results of `boundedParallelMap`, each written once by its own thread.
private final class ParallelSlots<Result>: @unchecked Sendable {
    let lock = NSLock()
    var results: [Result?]
    init(_ count: Int) { results = Array(repeating: nil, count: count) }
}

