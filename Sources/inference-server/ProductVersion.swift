/// The release version, shared by both executables' `--version`.
enum ProductVersion {
    static let string = "0.1.0"
}
