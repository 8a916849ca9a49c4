import FlyteAuth
import FlyteAuthCore

/// The system libraries loaded on first use that this configuration's paths need: a
/// missing one fails the check with exit status 8 and names its package, once.
struct LibrariesCheck: DoctorCheck {
    let names = ["libraries"]
    let needs = DoctorNeed.client

    func run(_ c: DoctorContext) {
        let settings = c.settings
        var missing: [String] = []
        var needed: [String] = []
        var details: [String] = []
        for lib in SystemLibrary.probeAll() {
            let need: Bool
            switch lib.name {
            case "libcurl": need = true
            case "libcrypto", "libmicrohttpd": need = settings.authType == .pkce
            case "libsecret": need = settings.keyring && settings.authType.isInteractive
            default: need = false
            }
            if let why = lib.loadError {
                details.append("\(lib.name): missing (\(why)); needed for \(lib.neededFor)")
                if need {
                    missing.append(lib.package)
                    needed.append(lib.name)
                }
            } else {
                details.append("\(lib.name): loads; used for \(lib.neededFor)")
            }
        }
        guard !missing.isEmpty else {
            c.report.ok("libraries", "every system library this configuration needs loads", details)
            return
        }
        c.report.add(.init(name: "libraries", outcome: .fail,
                           summary: "\(needed.joined(separator: ", ")) cannot be loaded: install \(missing.joined(separator: " "))",
                           details: details, fix: "sudo apt-get install \(missing.joined(separator: " ")) (Debian, Ubuntu)",
                           missingPackage: missing.joined(separator: " ")))
    }
}
