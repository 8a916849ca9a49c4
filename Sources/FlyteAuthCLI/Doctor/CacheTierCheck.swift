import FlyteAuth
import FlyteAuthCore

/// Each token cache tier: the ones the engine reports once it has opened the cache, and
/// the Secret Service probed here too (only this probe tells "locked" from "not running").
/// A tier that is off by configuration is information, not a warning.
struct CacheTierCheck: DoctorCheck {
    let names = ["cache tier"]
    let needs = DoctorNeed.client

    func run(_ c: DoctorContext) {
        let settings = c.settings
        _ = c.token  // opens the cache, which the status then describes
        let status = c.client.status().objectValue ?? [:]
        let secretService = settings.keyring ? CacheInspection.secretService(timeout: settings.keyringTimeoutSeconds)
            : CacheInspection.Tier(name: "Secret Service", available: false, detail: "off (keyring disabled in the configuration)")
        var tiers: [(tier: CacheInspection.Tier, extra: [String])] = []
        let reported = status["cache_tiers"]?.arrayValue
        if let reported {
            for t in reported {
                let tier = CacheInspection.Tier(name: t["name"]?.stringValue ?? "?", available: t["available"]?.boolValue ?? false,
                                                detail: t["detail"]?.stringValue ?? "")
                if tier.name.lowercased().contains("secret") {
                    tiers.append((secretService, tier.detail.isEmpty || tier.detail == secretService.detail ? [] : [tier.detail]))
                } else {
                    tiers.append((tier, []))
                }
            }
            if !tiers.contains(where: { $0.tier.name == secretService.name }) { tiers.insert((secretService, []), at: 0) }
        } else {
            tiers = [(secretService, []), (CacheInspection.fileCache(settings: settings), [])]
        }
        for (t, extra) in tiers {
            let offOnPurpose = t.detail.hasPrefix("off") || t.name == "file cache"
            c.report.add(.init(name: "cache tier", outcome: t.available ? .ok : offOnPurpose ? .info : .warn,
                               summary: t.detail.isEmpty ? "\(t.name): \(t.available ? "available" : "not available")" : "\(t.name): \(t.detail)",
                               details: extra))
        }
        if reported == nil, c.client.settings.kernelKeyring != .off {
            c.report.skip("cache tier", "kernel keyring: not checked (the cache is opened once the endpoint answers)")
        }
        // Without the engine's report (the cache was not opened), the kernel tier is unknown:
        // no claim that nothing caches.
        if reported != nil, !tiers.contains(where: { $0.tier.available }) {
            c.report.add(.init(name: "cache tier", outcome: .warn, summary: "no cache tier is available: each process logs in again",
                               fix: "start a Secret Service (gnome-keyring) in the session, or opt in to the file cache (FLYTEAUTH_FILE_CACHE=1)"))
        }
    }
}
