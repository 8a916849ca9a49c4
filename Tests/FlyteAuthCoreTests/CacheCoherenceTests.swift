import FlyteAuthCore
import Testing

/// When the kernel tier's copy must be checked against the durable tiers before it is
/// served: as soon as the Secret Service's change witness moved, after a long bound while
/// it did not, after the short bound where there is no witness.
@Suite struct CacheCoherenceTests {
    struct Row: Sendable, CustomStringConvertible {
        let confirmedAt: Double?
        let atConfirmation: String?
        let now: String?
        let age: Double
        let mustConfirm: Bool
        var description: String {
            "confirmed \(String(describing: confirmedAt)) \(String(describing: atConfirmation)) -> \(String(describing: now)) after \(age) s"
        }
    }

    static let rows: [Row] = [
        // A witness that has not moved: served alone until the long bound.
        Row(confirmedAt: 1000, atConfirmation: "w1", now: "w1", age: 0, mustConfirm: false),
        Row(confirmedAt: 1000, atConfirmation: "w1", now: "w1", age: 60, mustConfirm: false),
        Row(confirmedAt: 1000, atConfirmation: "w1", now: "w1", age: CacheCoherence.signalledBound, mustConfirm: true),
        // Another tool wrote the Secret Service: checked at once.
        Row(confirmedAt: 1000, atConfirmation: "w1", now: "w2", age: 0, mustConfirm: true),
        // Confirmed without a witness (a daemon appeared since): checked.
        Row(confirmedAt: 1000, atConfirmation: nil, now: "w1", age: 0.5, mustConfirm: true),
        // No witness now: the short bound.
        Row(confirmedAt: 1000, atConfirmation: "w1", now: nil, age: 0.5, mustConfirm: false),
        Row(confirmedAt: 1000, atConfirmation: nil, now: nil, age: 1.9, mustConfirm: false),
        Row(confirmedAt: 1000, atConfirmation: nil, now: nil, age: CacheCoherence.bound, mustConfirm: true),
        // No stamp, or a stamp from the future (the clock went back): checked.
        Row(confirmedAt: nil, atConfirmation: "w1", now: "w1", age: 0, mustConfirm: true),
        Row(confirmedAt: 1000, atConfirmation: "w1", now: "w1", age: -5, mustConfirm: true),
    ]

    @Test(arguments: rows) func mustConfirm(_ row: Row) {
        let now = (row.confirmedAt ?? 1000) + row.age
        #expect(
            CacheCoherence.mustConfirm(
                confirmedAt: row.confirmedAt, signalAtConfirmation: row.atConfirmation, signalNow: row.now, now: now)
                == row.mustConfirm)
    }

    @Test func theKernelKeyKeepsItsConfirmation() {
        let key = CacheKey(endpoint: try! FlyteEndpoint("flyte.example.com", insecure: false), clientID: "flytectl")
        let c = Credentials(accessToken: "tok", expiresAt: 2000, obtainedAt: 1000)
        let text = CanonicalItem.encode(c, key: key, tokenEndpoint: nil, confirmedAt: 1500.25, keyringSignal: "1:2:3.4")
        let back = CanonicalItem.decodeConfirmed(text)
        #expect(back?.credentials.accessToken == "tok")
        #expect(back?.confirmedAt == 1500.25)
        #expect(back?.keyringSignal == "1:2:3.4")
    }
}
