/// The library's version; include/flyteauth.h carries the same numbers.
public enum LibraryVersion {
    public static let major = 0
    public static let minor = 1
    public static let patch = 0
    public static let string = "\(major).\(minor).\(patch)"
    public static let number = UInt32(major << 16 | minor << 8 | patch)
}
