import FlyteAuth
import FlyteAuthCore
import Glibc

/// Doctor's checks of a machine's credentials: the key and certificate files, and the
/// external tokens (a client assertion, a token exchange's subject and actor): present,
/// readable only by the owner, parsing, their algorithm, and for a token its iss, sub,
/// aud and exp (never the token).
struct MachineIdentityCheck: DoctorCheck {
    var names: [String] { ["private key", "client assertion", "subject token", "actor token"] }
    var needs: DoctorNeed { .client }

    func run(_ context: DoctorContext) {
        Run(report: context.report).run(settings: context.settings, client: context.client, parameters: context.parameters)
    }
}

private struct Run {
    let report: DoctorReport

    func run(settings: Settings, client: AuthClient, parameters: AuthParameters) {
        if let path = settings.privateKeyFile.nonEmpty { key(path, settings: settings) }
        if let source = settings.clientAssertion {
            // The audience the IdP expects in the assertion: configured, else the token endpoint.
            external(source, what: "client_assertion", client: client,
                     audience: settings.clientAssertionAudience.nonEmpty ?? parameters.tokenEndpoint,
                     audienceSetting: "client_assertion_audience")
        }
        if let source = settings.subjectToken {
            external(source, what: "subject_token", client: client, audience: githubAudience(source), audienceSetting: nil)
        }
        if let source = settings.actorToken {
            external(source, what: "actor_token", client: client, audience: githubAudience(source), audienceSetting: nil)
        }
    }

    private func githubAudience(_ source: CredentialSource) -> String? {
        if case .githubActions(let audience) = source { return audience }
        return nil
    }

    private func key(_ path: String, settings: Settings) {
        let name = "private key"
        let key: IdentityInspection.Key
        do throws(AuthError) { key = try IdentityInspection.key(path) } catch {
            report.fail(name, error.message, fix: "point private_key_file at an unencrypted PEM key (RSA >= 2048 bits or EC P-256)",
                        kind: .config)
            return
        }
        var details = ["\(key.algorithm), \(key.bits) bits, kid \(settings.privateKeyID.nonEmpty ?? key.thumbprint)"
                       + (settings.privateKeyID.nonEmpty == nil ? " (its RFC 7638 thumbprint)" : " (private_key_id)")]
        if let certificate = settings.certificateFile.nonEmpty {
            do throws(AuthError) {
                details.append("certificate \(certificate): x5t#S256 \(try IdentityInspection.certificate(certificate, keyPath: path))")
            } catch {
                report.fail(name, error.message, fix: "point certificate_file at the certificate of this key", kind: .config, details)
                return
            }
        }
        if key.isExposed {
            report.add(.init(name: name, outcome: .warn,
                             summary: "\(path) is readable by others (mode \(String(key.mode, radix: 8)))", details: details,
                             fix: "chmod 600 \(path)"))
        } else {
            report.ok(name, "\(path): only its owner can read it", details)
        }
    }

    private func external(_ source: CredentialSource, what: String, client: AuthClient, audience: String?, audienceSetting: String?) {
        let name = what.replacing("_", with: " ")
        let claims: ExternalTokenClaims?
        do throws(AuthError) { claims = try IdentityInspection.externalClaims(source, what: what, client: client) } catch {
            report.fail(name, error.message, fix: "make \(source.description) give a token", kind: error.kind)
            return
        }
        guard let claims else {
            report.add(.init(name: name, outcome: .info, summary: "\(source.description) gives an opaque token (not a JWT): nothing to check"))
            return
        }
        let details = claims.lines
        let now = Clock.now()
        if let exp = claims.expiresAt, exp <= now {
            report.fail(name, "the token from \(source.description) expired \(Int(now - exp)) s ago (\(RFC3339.format(exp)))",
                        fix: "its issuer must renew it (kubelet rotates projected tokens; a CI job's token lives minutes)",
                        kind: .config, details)
            return
        }
        let auds = claims.audiences
        if let audience, !auds.contains(audience) {
            report.fail(name, "the token from \(source.description) is for \(auds.isEmpty ? "no audience" : auds.joined(separator: ", ")), not \(audience)",
                        fix: audienceSetting.map { "issue it for \(audience), or set \($0) to the audience the identity provider expects" }
                            ?? "issue it for \(audience)",
                        kind: .config, details)
            return
        }
        let validity = claims.expiresAt.map { "valid for \(Int($0 - now)) s more" } ?? "with no expiry"
        report.ok(name, "\(source.description) gives a JWT \(validity)", details)
    }
}
