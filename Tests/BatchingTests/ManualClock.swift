import TestSupport

/// Waits (on real time, bounded) until `condition` holds; used only to let tasks settle, never to measure.
func settle(_ condition: @Sendable () -> Bool, limit: Int = 2000) async {
    for _ in 0..<limit where !condition() {
        try? await Task.sleep(for: .milliseconds(1))
    }
}
