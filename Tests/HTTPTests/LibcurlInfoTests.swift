import Foundation
import HTTP
import Testing

/// The libcurl this test process loaded. `make test` runs the HTTP and
/// Kubernetes client suites a second time with the library the images ship
/// (scripts/build-libcurl.sh) first on LD_LIBRARY_PATH and
/// `EXPECT_LIBCURL_PROTOCOLS` set, so that run proves it loaded that build.
@Suite struct LibcurlInfoTests {
    @Test func speaksWhatTheTransportAsksFor() {
        let info = LibcurlInfo.loaded
        #expect(info.protocols.contains("http") && info.protocols.contains("https"), "\(info.summary)")
        #expect(info.http2, "CurlEngine asks for HTTP/2 over TLS: \(info.summary)")
        #expect(info.contentDecoding, "CurlEngine sends Accept-Encoding: \(info.summary)")
        #expect(info.asynchronousDNS, "timeouts need the threaded resolver: \(info.summary)")
        #expect(info.tlsLibrary?.hasPrefix("OpenSSL/") == true, "\(info.summary)")
        #expect(info.summary.hasPrefix("libcurl \(info.version) (OpenSSL/"))
    }

    static let expectedProtocols = ProcessInfo.processInfo.environment["EXPECT_LIBCURL_PROTOCOLS"]

    @Test(.enabled(if: expectedProtocols != nil, "EXPECT_LIBCURL_PROTOCOLS is not set (make test sets it for the images' libcurl)"))
    func loadedTheLibraryThisRunAskedFor() throws {
        let expected = try #require(Self.expectedProtocols).split(separator: ",").map(String.init)
        #expect(LibcurlInfo.loaded.protocols.sorted() == expected.sorted(), "\(LibcurlInfo.loaded.summary)")
    }
}
