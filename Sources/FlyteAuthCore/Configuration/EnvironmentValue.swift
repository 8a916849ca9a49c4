/// flytekit's reading of environment variables.
public enum EnvironmentValue {
    /// False for unset, "", "false", "0", "off", "no" (any case); true otherwise.
    public static func isTrue(_ value: String?) -> Bool {
        guard let v = value?.trimmingSpaces().lowercased() else { return false }
        return !["", "false", "0", "off", "no"].contains(v)
    }

    /// A comma-separated list, items trimmed, empty items dropped.
    public static func list(_ value: String) -> [String] {
        value.split(separator: ",").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty }
    }
}
