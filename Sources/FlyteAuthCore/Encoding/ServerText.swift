/// Text that came from a server (or a redirect a browser delivered), made safe to show.
///
/// The one place such text is cleaned before it reaches an error message, a log line or
/// a prompt: `AuthError`, the logger and the device prompt all pass through here, so an
/// `error_description` holding `\u001b[31m` cannot repaint or rewrite a terminal.
public enum ServerText {
    /// The longest server-supplied string kept in a message or a prompt field.
    public static let maximumLength = 300

    /// Control characters escaped (`\n`, `\t`, `\u001b`, ...) and at most `limit`
    /// characters kept, with "..." when cut.
    public static func clean(_ text: String, limit: Int = maximumLength) -> String {
        var out = ""
        var kept = 0
        for scalar in text.unicodeScalars {
            if kept >= limit { return out + "..." }
            out += escaped(scalar)
            kept += 1
        }
        return out
    }

    /// `clean` in double quotes, for quoting a value inside a sentence.
    public static func quoted(_ text: String, limit: Int = maximumLength) -> String {
        "\"" + clean(text, limit: limit) + "\""
    }

    /// Control characters escaped, nothing cut: for whole messages and log lines, whose
    /// server-supplied parts were capped where they came in.
    public static func escapingControls(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = ""
        for scalar in text.unicodeScalars { out += escaped(scalar) }
        return out
    }

    /// C0, DEL, C1, and the bidirectional overrides that reorder what a terminal shows.
    static func isControl(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0..<0x20, 0x7F...0x9F, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    private static func escaped(_ s: Unicode.Scalar) -> String {
        guard isControl(s) else { return String(s) }
        switch s {
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\t": return "\\t"
        default:
            let hex = String(s.value, radix: 16)
            return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        }
    }
}
