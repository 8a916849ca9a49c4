import CQREncode

/// Renders a QR code for a terminal with Unicode half blocks, two modules per line,
/// light modules drawn so it scans on dark and light backgrounds alike.
enum QRCode {
    static func render(_ text: String) -> String? {
        guard let code = QRcode_encodeString(text, 0, QR_ECLEVEL_L, QR_MODE_8, 1) else { return nil }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        let data = code.pointee.data!
        let margin = 2
        let size = width + 2 * margin
        func dark(_ x: Int, _ y: Int) -> Bool {
            let (mx, my) = (x - margin, y - margin)
            guard mx >= 0, my >= 0, mx < width, my < width else { return false }
            return data[my * width + mx] & 1 == 1
        }
        var out = ""
        var y = 0
        while y < size {
            var line = "    "
            for x in 0..<size {
                switch (dark(x, y), y + 1 < size ? dark(x, y + 1) : false) {
                case (false, false): line += "\u{2588}"
                case (false, true): line += "\u{2580}"
                case (true, false): line += "\u{2584}"
                case (true, true): line += " "
                }
            }
            out += line + "\n"
            y += 2
        }
        return out
    }
}
