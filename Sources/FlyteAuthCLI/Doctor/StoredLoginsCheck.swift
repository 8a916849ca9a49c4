import FlyteAuth
import FlyteAuthCore

/// Which tools' keyring layouts (and the file cache) hold a login for the endpoint.
struct StoredLoginsCheck: DoctorCheck {
    let names = ["stored logins"]
    let needs = DoctorNeed.client

    func run(_ c: DoctorContext) {
        guard let endpoint = c.endpoint else { return }
        let settings = c.settings
        let clientID = c.parameters.clientID ?? c.client.cacheClientID
        var details: [String] = []
        var found: [CacheInspection.StoredLogin] = []
        var read = ["flyteauth"] + ForeignLayout.allCases.map(\.rawValue)
        if settings.keyring {
            do throws(AuthError) {
                found += try CacheInspection.keyringLogins(endpoint: endpoint, clientID: clientID, timeout: settings.keyringTimeoutSeconds)
            } catch {
                details.append("keyring not readable: \(error.message)")
                read = []
            }
        }
        if let clientID, CacheInspection.fileCache(settings: settings).available {
            do throws(AuthError) {
                if let l = try CacheInspection.fileLogin(settings: settings, endpoint: endpoint, clientID: clientID) { found.append(l) }
            } catch {
                details.append("file cache not readable: \(error.message)")
            }
        }
        let now = Clock.now()
        for l in found {
            var line = l.layout == "flyteauth" ? "flyteauth (service flyteauth:\(endpoint.hostAndPort.lowercased()), username \(clientID ?? "?"))"
                : l.layout == "file" ? "file cache" : "\(l.layout)'s layout"
            if let e = l.expiresAt {
                line += e > now ? ": access token valid for \(DoctorText.duration(e - now))" : ": access token expired"
            }
            line += l.hasRefreshToken ? ", refresh token" : ", no refresh token"
            details.append(line)
        }
        let missing = (settings.keyring ? read : []).filter { name in !found.contains { $0.layout == name } }
        if !missing.isEmpty { details.append("no login in: " + missing.joined(separator: ", ")) }
        c.report.add(.init(name: "stored logins", outcome: found.isEmpty ? .info : .ok,
                           summary: found.isEmpty ? "no tool holds a login for \(endpoint.hostAndPort)"
                               : "\(found.count) login(s) for \(endpoint.hostAndPort)", details: details))
    }
}
