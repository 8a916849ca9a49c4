import Glibc

/// Text for people at a terminal: lines wrapped at words to the terminal's width, with
/// continuation lines indented. Piped output is never wrapped (scripts see one line an item).
enum Terminal {
    /// The width to wrap stdout at, or nil when stdout is not a terminal.
    static let width: Int? = width(of: 1)

    /// The width of the terminal `fd` is, or nil when it is not one.
    static func width(of fd: Int32) -> Int? {
        guard isatty(fd) == 1 else { return nil }
        var size = winsize()
        if ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return max(Int(size.ws_col), 40) }
        if let c = getenv("COLUMNS").flatMap({ Int(String(cString: $0)) }), c > 0 { return max(c, 40) }
        return 80
    }

    /// Prints `text` after `lead` (the first line's prefix), wrapped at words, later lines
    /// indented by `indent` spaces. A word longer than a line (a URL) keeps a line of its own,
    /// unbroken, so it can still be clicked or copied.
    static func print(_ lead: String, _ text: String, indent: Int) {
        out(wrap(lead, text, indent: indent, width: width))
    }

    static func wrap(_ lead: String, _ text: String, indent: Int, width: Int?) -> String {
        guard let width else { return lead + text }
        var lines: [String] = []
        var line = lead
        var lineHasWord = false
        /// A word starting a line: at the indent when it fits there, else further left, and
        /// one longer than the whole width alone at column 0 (the terminal wraps it, but it
        /// stays one word to click or copy).
        func start(_ word: Substring) -> String {
            let column = word.count + indent <= width ? indent : word.count + 2 <= width ? 2 : 0
            return String(repeating: " ", count: column) + word
        }
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            let candidate = lineHasWord ? line + " " + word : line + word
            if candidate.count <= width {
                line = candidate
            } else {
                if lineHasWord || line.trimmingSpaces.count > 0 { lines.append(line) }
                line = start(word)
            }
            lineHasWord = true
        }
        lines.append(line)
        return lines.joined(separator: "\n")
    }
}

extension String {
    var trimmingSpaces: Substring { drop { $0 == " " } }
}
