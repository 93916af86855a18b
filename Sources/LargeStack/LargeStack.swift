#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Locking

/// Runs recursive work (CEL's parser, checker and interpreter, the YAML
/// composer) on a thread with a stack sized for the deepest input their limits
/// accept, so that deep input cannot overflow the caller's stack, whatever
/// thread that is (a cooperative-pool thread, an event loop, a thread made
/// with a small stack, a process started under `ulimit -s unlimited`, where
/// glibc gives new threads 2 MiB) and however large unoptimised frames are.
///
/// Measured in a debug build: a CEL tree at its 1000-level limit needs 4 to
/// 6 MiB of stack; YAML at its 512-level limit 2 to 4 MiB.
///
/// The threads are kept and reused: making one costs about 0.6 ms in some
/// sandboxes, handing work to a waiting one a few microseconds.
public enum LargeStack {
    /// Stack of each worker thread. Virtual size: only the pages deep input
    /// touches are ever mapped.
    public static let bytes = 64 << 20

    /// Idle workers kept for reuse; more run at once when more callers need them.
    static let keptIdle = 4

    /// `body` on a worker when `deep`, else on the caller's stack. Callers
    /// decide `deep` so that shallow work needs at most about 128 KiB of stack.
    public static func run<T>(if deep: Bool, _ body: () -> T) -> T {
        deep ? run(body) : body()
    }

    /// `body` on a worker thread with `bytes` of stack; the caller waits for it.
    /// Falls back to the caller's thread if no thread can be made.
    public static func run<T>(_ body: () -> T) -> T {
        guard let worker = idle.withLock({ $0.popLast() }) ?? Worker(stackBytes: bytes) else { return body() }
        let result = perform(body, on: worker)
        let kept = idle.withLock { workers in
            guard workers.count < keptIdle else { return false }
            workers.append(worker)
            return true
        }
        if !kept { worker.stop() }
        return result
    }

    /// `body` on a new thread with `stackBytes` of stack, which ends after it
    /// (for tests that need a small stack).
    public static func run<T>(stackBytes: Int, _ body: () -> T) -> T {
        guard let worker = Worker(stackBytes: stackBytes) else { return body() }
        defer { worker.stop() }
        return perform(body, on: worker)
    }

    private static let idle = Locked<[Worker]>([])

    private static func perform<T>(_ body: () -> T, on worker: Worker) -> T {
        withoutActuallyEscaping(body) { body in
            let slot = Slot<T>()
            worker.perform { slot.value = body() }
            return slot.value!
        }
    }

    private final class Slot<T> {
        var value: T?
    }
}

/// A thread that runs one job at a time, handed over with two semaphores.
/// `perform` returns only after the job ran, so the job may borrow the
/// caller's state; the semaphores order its reads and writes.
private final class Worker: @unchecked Sendable {
    private let start = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
    private let done = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
    private var job: (() -> Void)?
    private var stopping = false

    init?(stackBytes: Int) {
        // Unnamed POSIX semaphores are Linux's; elsewhere the caller's thread runs the work.
        guard sem_init(start, 0, 0) == 0, sem_init(done, 0, 0) == 0 else { return nil }
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, stackBytes)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        // The thread holds the worker until it stops.
        let context = Unmanaged.passRetained(self).toOpaque()
        #if canImport(Darwin)
        var thread: pthread_t?
        #else
        var thread = pthread_t()
        #endif
        let created = pthread_create(&thread, &attributes, { context in
            Unmanaged<Worker>.fromOpaque(context!).takeRetainedValue().loop()
            return nil
        }, context)
        guard created == 0 else {
            Unmanaged<Worker>.fromOpaque(context).release()
            return nil
        }
    }

    deinit {
        sem_destroy(start)
        sem_destroy(done)
        start.deallocate()
        done.deallocate()
    }

    func perform(_ work: @escaping () -> Void) {
        job = work
        sem_post(start)
        Self.wait(done)
    }

    func stop() {
        stopping = true
        sem_post(start)
    }

    private func loop() {
        while true {
            Self.wait(start)
            if stopping { return }
            job?()
            job = nil
            sem_post(done)
        }
    }

    private static func wait(_ semaphore: UnsafeMutablePointer<sem_t>) {
        while sem_wait(semaphore) != 0 && errno == EINTR {}
    }
}
