#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A value that is only read or changed while holding a pthread mutex.
///
/// The project's lock instead of `Synchronization.Mutex`: on Linux, Mutex
/// locks with atomics and futex calls inside the uninstrumented standard
/// library, so ThreadSanitizer never sees the lock and reports every access
/// made under it as a race. pthread mutexes are intercepted by the sanitizer,
/// so with this type `make test-tsan` reports only real races. The cost is
/// one allocation per lock, made when its owner is created.
public final class Locked<Value: ~Copyable>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    public init(_ value: consuming Value) {
        self.value = value
        mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        let status = pthread_mutex_init(mutex, nil)
        precondition(status == 0, "pthread_mutex_init failed with \(status)")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with exclusive access to the value. `body` must not call
    /// `withLock` on the same instance (the mutex is not recursive).
    public func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
