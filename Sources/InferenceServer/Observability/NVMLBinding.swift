// The only file that touches NVML: dlopen of libnvidia-ml.so.1 and its C calls.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// GPU utilisation through NVML, present only where the NVIDIA driver library is.
public final class NVML: @unchecked Sendable {
    // Immutable after init; NVML calls are thread-safe once initialised.
    private typealias InitFn = @convention(c) () -> Int32
    private typealias CountFn = @convention(c) (UnsafeMutablePointer<UInt32>) -> Int32
    private typealias HandleFn = @convention(c) (UInt32, UnsafeMutablePointer<OpaquePointer?>) -> Int32
    /// nvmlUtilization_t is { unsigned int gpu; unsigned int memory; }.
    private typealias UtilizationFn = @convention(c) (OpaquePointer?, UnsafeMutablePointer<UInt32>) -> Int32

    private let devices: [OpaquePointer?]
    private let utilizationRates: UtilizationFn

    /// nil when the library is missing, NVML does not initialise, or there is no GPU; never an error.
    public static func load(library: String = "libnvidia-ml.so.1") -> NVML? {
        guard let handle = dlopen(library, RTLD_NOW | RTLD_LOCAL) else { return nil }
        guard let initSymbol = dlsym(handle, "nvmlInit_v2"),
              let countSymbol = dlsym(handle, "nvmlDeviceGetCount_v2"),
              let handleSymbol = dlsym(handle, "nvmlDeviceGetHandleByIndex_v2"),
              let utilizationSymbol = dlsym(handle, "nvmlDeviceGetUtilizationRates") else {
            dlclose(handle)
            return nil
        }
        let initialise = unsafeBitCast(initSymbol, to: InitFn.self)
        guard initialise() == 0 else { return nil }
        var count: UInt32 = 0
        guard unsafeBitCast(countSymbol, to: CountFn.self)(&count) == 0, count > 0 else { return nil }
        let deviceHandle = unsafeBitCast(handleSymbol, to: HandleFn.self)
        var devices: [OpaquePointer?] = []
        for index in 0..<count {
            var device: OpaquePointer?
            if deviceHandle(index, &device) == 0 { devices.append(device) }
        }
        guard !devices.isEmpty else { return nil }
        return NVML(devices: devices, utilizationRates: unsafeBitCast(utilizationSymbol, to: UtilizationFn.self))
    }

    private init(devices: [OpaquePointer?], utilizationRates: UtilizationFn) {
        self.devices = devices
        self.utilizationRates = utilizationRates
    }

    /// Percent busy per device index, for devices that answered.
    public func utilization() -> [(Int, Double)] {
        devices.enumerated().compactMap { index, device in
            var rates: (UInt32, UInt32) = (0, 0)
            let status = withUnsafeMutablePointer(to: &rates) { pointer in
                pointer.withMemoryRebound(to: UInt32.self, capacity: 2) { utilizationRates(device, $0) }
            }
            return status == 0 ? (index, Double(rates.0)) : nil
        }
    }
}
