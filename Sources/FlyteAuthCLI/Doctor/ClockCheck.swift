import FlyteAuth
import FlyteAuthCore

/// This machine's clock against the Date headers of the servers asked so far.
struct ClockCheck: DoctorCheck {
    let names = ["clock"]
    let needs = DoctorNeed.connection

    func run(_ c: DoctorContext) {
        guard !c.clockSamples.isEmpty else {
            c.report.skip("clock", "no server sent a Date header")
            return
        }
        // The Date header has 1 s resolution and was made between sending and receiving.
        var worst: (server: String, skew: Double)?
        var details: [String] = []
        var seen: Set<String> = []
        for s in c.clockSamples where !seen.contains(s.server) {
            seen.insert(s.server)
            let local = (s.sent + s.received) / 2
            var skew = s.date - local
            let slack = (s.received - s.sent) / 2 + 1
            skew = abs(skew) <= slack ? 0 : (skew > 0 ? skew - slack : skew + slack)
            details.append("\(s.server): \(describe(skew))")
            if worst == nil || abs(skew) > abs(worst!.skew) { worst = (s.server, skew) }
        }
        let w = worst!
        let fix = "set the time right on this machine (timedatectl set-ntp true, or chrony/ntpd), or on the server if it is the one off"
        if abs(w.skew) > 60 {
            c.report.fail("clock", "this machine's clock and \(w.server)'s differ by \(Int(abs(w.skew))) s: tokens can look expired or not yet valid",
                          fix: fix, kind: .internal, details)
        } else if abs(w.skew) > 10 {
            c.report.add(.init(name: "clock", outcome: .warn, summary: "\(Int(abs(w.skew))) s of skew against \(w.server)", details: details, fix: fix))
        } else {
            c.report.ok("clock", "in step with the servers (within a second or two)", details)
        }
    }

    private func describe(_ skew: Double) -> String {
        skew == 0 ? "no skew" : "the server is \(Int(abs(skew))) s \(skew > 0 ? "ahead" : "behind")"
    }
}
