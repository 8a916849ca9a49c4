import FlyteAuth
import FlyteAuthCore

/// The configuration in effect, each key with where it came from; makes the client the
/// other checks use.
enum ConfigurationCheck {
    static func run(common: CommonOptions, report: DoctorReport) -> DoctorContext? {
        let resolved: ResolvedConfig
        do throws(AuthError) { resolved = try common.resolve() } catch {
            report.fail("config", error.message, fix: ExitStatus.fix(for: error)
                        ?? "correct the value the message names (`flyteauth config` shows every key and where it came from)", kind: .config)
            return nil
        }
        let d = resolved.description.objectValue ?? [:]
        let file = d["config_file"]?.stringValue
        var details: [String] = []
        for (key, v) in (d["settings"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            var value = v["value"]?.serialized ?? "?"
            if key == "http_proxy_url", let url = v["value"]?.stringValue { value = JSONValue.string(DoctorText.withoutCredentials(url)).serialized }
            details.append("\(key) = \(value.count > 80 ? String(value.prefix(77)) + "..." : value)  (\(v["source"]?.stringValue ?? "?"))")
        }
        let summary = file.map { "\($0), auth type \(resolved.settings.authType.rawValue)" }
            ?? "no configuration file (searched $FLYTECTL_CONFIG, ./flytekit.config, ~/.flyte/config, ~/.flyte/config.yaml)"
        do throws(AuthError) {
            let settings = try common.settings(login: .never)
            let client = try EngineFactory.makeClient(settings: settings)
            report.ok("config", summary, details)
            if client.endpoint == nil {
                report.add(.init(name: "endpoint", outcome: .info, summary: "no endpoint: only the token URL is used (no discovery)"))
            }
            return DoctorContext(settings: settings, client: client, report: report)
        } catch {
            report.fail("config", error.message, fix: ExitStatus.fix(for: error), kind: error.kind, details)
            return nil
        }
    }
}
