import FlyteAuth
import FlyteAuthCore

/// The checks' results, in order, and how they are shown.
final class DoctorReport {
    enum Outcome: String { case ok, warn, fail, skip, info }

    struct Check {
        var name: String
        var outcome: Outcome
        var summary: String
        var details: [String] = []
        var fix: String?
        /// For a failure: which exit status it means.
        var kind: ErrorKind?
        /// A missing system library's package (exit status 8).
        var missingPackage: String?
    }

    private(set) var checks: [Check] = []

    func add(_ c: Check) { checks.append(c) }

    func ok(_ name: String, _ summary: String, _ details: [String] = []) {
        add(Check(name: name, outcome: .ok, summary: summary, details: details))
    }

    func fail(_ name: String, _ summary: String, fix: String?, kind: ErrorKind, _ details: [String] = []) {
        add(Check(name: name, outcome: .fail, summary: summary, details: details, fix: fix, kind: kind))
    }

    func skip(_ name: String, _ summary: String) { add(Check(name: name, outcome: .skip, summary: summary)) }

    var exitStatus: Int32 {
        guard let first = checks.first(where: { $0.outcome == .fail }) else { return 0 }
        var e = AuthError(first.kind ?? .internal, "")
        e.missingPackage = first.missingPackage
        return ExitStatus.code(for: e)
    }

    var json: JSONValue {
        .object([
            "ok": .bool(exitStatus == 0),
            "exit_status": .number(Double(exitStatus)),
            "checks": .array(checks.map { c in
                var o: [String: JSONValue] = ["name": .string(c.name), "status": .string(c.outcome.rawValue),
                                              "summary": .string(c.summary), "details": .array(c.details.map(JSONValue.string))]
                o["fix"] = c.fix.map(JSONValue.string) ?? .null
                return .object(o)
            }),
        ])
    }

    /// "[ ok ] name              summary", details and fix below; wrapped at words on a
    /// terminal, one line an item when piped.
    func print() {
        let column = 26
        for c in checks {
            let tag = ["ok": " ok ", "warn": "warn", "fail": "FAIL", "skip": "skip", "info": "info"][c.outcome.rawValue]!
            Terminal.print("[\(tag)] \(c.name.padding(column - 7))", c.summary, indent: column)
            for d in c.details { Terminal.print("         ", d, indent: 11) }
            if let fix = c.fix { Terminal.print("         fix: ", fix, indent: 14) }
        }
        let code = exitStatus
        out("")
        Terminal.print("", code == 0 ? "A call would work." : "A call would fail (exit status \(code)): fix the first FAIL above.", indent: 0)
    }
}
