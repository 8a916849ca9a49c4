import FlyteAuthCore
import Testing

/// The rules of README "Sharing the login": imports without a lifetime, other tools'
/// logouts and newer logins.
@Suite struct SharedLoginTests {
    let policy = RefreshPolicy(window: 60)

    @Test func anOpaqueImportWithARefreshTokenIsCheckedBeforeItIsServed() {
        let c = ImportedToken.adopt(Credentials(accessToken: "opaque", refreshToken: "r", obtainedAt: 1000), now: 1000)
        #expect(c.unverified && c.expiresAt == nil)
        #expect(policy.hardDeadline(for: c) < 0 && policy.softDeadline(for: c) < 0, "past both deadlines: refreshed first")
        // The refresh's answer is verified, whatever the imported item said.
        let refreshed = Credentials(accessToken: "new", expiresAt: 4600, obtainedAt: 1000).keepingRefreshToken(of: c)
        #expect(!refreshed.unverified && refreshed.refreshToken == "r" && policy.hardDeadline(for: refreshed) > 4500)
    }

    @Test func anOpaqueImportWithoutARefreshTokenIsCheckedAndGetsNoMadeUpLifetime() {
        let c = ImportedToken.adopt(Credentials(accessToken: "opaque", obtainedAt: 0), now: 1000)
        #expect(c.unverified && c.expiresAt == nil && c.obtainedAt == 1000)
        #expect(policy.hardDeadline(for: c) < 0, "not served before the check")
        #expect(UnknownLifetime.verdict(status: 200) == .accepted)
        #expect(UnknownLifetime.verdict(status: 401) == .refused(status: 401))
        #expect(UnknownLifetime.verdict(status: 503) == .unknown(status: 503))
    }

    @Test func anImportWithAKnownLifetimeIsServedAsIs() {
        let token = jwt(#"{"exp":5000}"#)
        let c = ImportedToken.adopt(Credentials(accessToken: token, refreshToken: "r", expiresAt: 5000, obtainedAt: 1000), now: 1000)
        #expect(!c.unverified && c.expiresAt == 5000)
    }

    @Test func mirrorsThatStillHoldOurTokenAreIntact() {
        let ours = Credentials(accessToken: "a", refreshToken: "r", expiresAt: 5000, obtainedAt: 1000)
        let same = Credentials(accessToken: "a", refreshToken: "r", obtainedAt: 0)
        #expect(MirrorCheck.assess(ours, mirrored: [.flytekit, .flyteSDK], found: [.flytekit: same, .flyteSDK: same]) == .intact)
        #expect(MirrorCheck.assess(ours, mirrored: [], found: [:]) == .intact, "an item written before mirrors were recorded")
    }

    @Test func aMirrorThatDisappearedMakesOursSuspect() {
        let ours = Credentials(accessToken: "a", refreshToken: "r", expiresAt: 5000, obtainedAt: 1000)
        let found: [ForeignLayout: Credentials?] = [.flytekit: nil, .flyteSDK: Credentials(accessToken: "a", obtainedAt: 0)]
        #expect(found.count == 2, "nil is \"read, and gone\"")
        let check = MirrorCheck.assess(ours, mirrored: [.flytekit, .flyteSDK], found: found)
        #expect(check == .gone(.flytekit))
        let suspect = check.apply(to: ours)
        #expect(suspect.unverified && suspect.refreshToken == "r", "the refresh token is kept: revalidated, not discarded")
        #expect(policy.hardDeadline(for: suspect) < 0)
        // Without a refresh token nothing can check it: served until its known expiry.
        var plain = ours
        plain.refreshToken = nil
        #expect(policy.hardDeadline(for: check.apply(to: plain)) > 4900)
    }

    @Test func aNewerLoginInAMirrorWinsOverAGap() {
        let ours = Credentials(accessToken: "a", refreshToken: "r", expiresAt: 5000, obtainedAt: 1000)
        let theirs = Credentials(accessToken: "b", refreshToken: "r2", obtainedAt: 0)
        let found: [ForeignLayout: Credentials?] = [.flytekit: nil, .flyteSDK: theirs]
        let check = MirrorCheck.assess(ours, mirrored: [.flytekit, .flyteSDK], found: found)
        #expect(check == .replaced(.flyteSDK, theirs))
    }

    @Test func flytectlIsMirroredButNotChecked() {
        let ours = Credentials(accessToken: "a", refreshToken: "r", expiresAt: 5000, obtainedAt: 1000)
        #expect(MirrorCheck.checked([.flytekit, .flyteSDK, .flytectl]) == [.flytekit, .flyteSDK])
        let found: [ForeignLayout: Credentials?] = [.flytectl: nil]
        #expect(MirrorCheck.assess(ours, mirrored: [.flytectl], found: found) == .intact)
    }

    @Test func ourItemRecordsItsMirrors() throws {
        let key = CacheKey(endpoint: try FlyteEndpoint("flyte.example.com", insecure: false), clientID: "flytectl")
        let text = CanonicalItem.encode(Credentials(accessToken: "a", obtainedAt: 1), key: key, tokenEndpoint: nil,
                                        mirrored: [.flytekit, .flyteSDK, .flytectl])
        #expect(CanonicalItem.mirrored(text) == [.flytekit, .flyteSDK, .flytectl])
        #expect(CanonicalItem.mirrored(CanonicalItem.encode(Credentials(accessToken: "a", obtainedAt: 1), key: key, tokenEndpoint: nil)) == [])
        #expect(CanonicalItem.decode(text)?.unverified == false)
    }
}
