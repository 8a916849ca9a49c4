import CQREncode

/// Renders a QR code for a terminal with Unicode half blocks, two modules per line, in
/// explicit colours (black on white, whatever the terminal's own scheme) with the quiet
/// zone of four light modules scanners expect: it reads on light and dark terminals alike.
enum QRCode {
    static let quietZone = 4

    static func render(_ text: String) -> String? {
        guard let code = QRcode_encodeString(text, 0, QR_ECLEVEL_L, QR_MODE_8, 1) else { return nil }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        let data = code.pointee.data!
        let size = width + 2 * quietZone
        func dark(_ x: Int, _ y: Int) -> Bool {
            let (mx, my) = (x - quietZone, y - quietZone)
            guard mx >= 0, my >= 0, mx < width, my < width else { return false }
            return data[my * width + mx] & 1 == 1
        }
        // Foreground black draws the dark modules; background white is the light ones.
        let colours = "\u{1B}[38;5;16;48;5;231m", reset = "\u{1B}[0m"
        var out = ""
        var y = 0
        while y < size {
            var line = "    " + colours
            for x in 0..<size {
                switch (dark(x, y), y + 1 < size ? dark(x, y + 1) : false) {
                case (false, false): line += " "
                case (true, false): line += "\u{2580}"
                case (false, true): line += "\u{2584}"
                case (true, true): line += "\u{2588}"
                }
            }
            out += line + reset + "\n"
            y += 2
        }
        return out
    }
}
