/// Go's time.ParseDuration for the units configuration files use (h, m, s, ms).
public enum GoDuration {
    public static func seconds(_ text: String) -> Double? {
        let s = text.trimmingSpaces()
        if let plain = Double(s) { return plain }
        var total = 0.0
        var number = ""
        var chars = Array(s)[...]
        guard !chars.isEmpty else { return nil }
        while let c = chars.first {
            if c.isNumber || c == "." {
                number.append(c)
                chars = chars.dropFirst()
                continue
            }
            guard let n = Double(number) else { return nil }
            number = ""
            if chars.starts(with: ["m", "s"]) {
                total += n / 1000
                chars = chars.dropFirst(2)
            } else if c == "h" {
                total += n * 3600
                chars = chars.dropFirst()
            } else if c == "m" {
                total += n * 60
                chars = chars.dropFirst()
            } else if c == "s" {
                total += n
                chars = chars.dropFirst()
            } else {
                return nil
            }
        }
        return number.isEmpty ? total : nil
    }
}
