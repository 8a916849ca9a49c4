import CFlyteAuthHeader
import CSystem
import FlyteAuth
import FlyteAuthCore
import Glibc

/// Per-thread state of the C layer: the last error, and copies of recent metadata so
/// the cached path reads nothing that other threads write (no shared cache line, no
/// lock, no reference count): a generation check, a clock read, one malloc and memcpy.
final class ThreadState {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { raw in
            if let raw { Unmanaged<ThreadState>.fromOpaque(raw).release() }
        }
        return key
    }()

    /// This thread's state, created on first use and released when the thread exits.
    @inline(__always)
    static var current: Unmanaged<ThreadState> {
        if let raw = pthread_getspecific(key) { return Unmanaged.fromOpaque(raw) }
        let state = Unmanaged.passRetained(ThreadState())
        pthread_setspecific(key, state.toOpaque())
        return state
    }

    // MARK: Last error

    private let error = UnsafeMutablePointer<flyteauth_error>.allocate(capacity: 1)
    private var errorStrings: [UnsafeMutablePointer<CChar>] = []
    private(set) var hasError = false

    init() { error.initialize(to: flyteauth_error()) }

    deinit {
        clearError()
        error.deallocate()
        for block in blocks { block.release() }
    }

    @inline(__always)
    func clearError() {
        guard hasError else { return }
        for s in errorStrings { free(s) }
        errorStrings.removeAll(keepingCapacity: true)
        hasError = false
    }

    func setError(_ e: AuthError) {
        clearError()
        func keep(_ s: String?) -> UnsafePointer<CChar>? {
            guard let s, let copy = strdup(s) else { return nil }
            errorStrings.append(copy)
            return UnsafePointer(copy)
        }
        error.pointee = flyteauth_error(
            age: UInt32(FLYTEAUTH_ERROR_AGE),
            status: flyteauth_status(rawValue: UInt32(e.kind.rawValue)),
            message: keep(e.message) ?? ThreadState.outOfMemoryMessage,
            oauth_error: keep(e.oauthError),
            oauth_error_description: keep(e.oauthErrorDescription),
            http_status: Int32(clamping: e.httpStatus))
        hasError = true
    }

    var lastError: UnsafePointer<flyteauth_error>? { hasError ? UnsafePointer(error) : nil }

    private static let outOfMemoryText: StaticString = "out of memory"
    private static var outOfMemoryMessage: UnsafePointer<CChar> {
        UnsafeRawPointer(outOfMemoryText.utf8Start).assumingMemoryBound(to: CChar.self)
    }

    // MARK: Metadata copies

    private var blocks: [MetadataBlock] = []

    /// The copy for `clientID` if it is still current.
    @inline(__always)
    func block(for clientID: UInt64, generation: UInt64) -> MetadataBlock? {
        for b in blocks where b.clientID == clientID {
            return b.generation == generation ? b : nil
        }
        return nil
    }

    func store(_ snapshot: HeaderSnapshot, clientID: UInt64) -> MetadataBlock? {
        guard let block = MetadataBlock(snapshot, clientID: clientID) else { return nil }
        if let i = blocks.firstIndex(where: { $0.clientID == clientID }) {
            blocks[i].release()
            blocks[i] = block
        } else {
            // Threads rarely use more than a client or two; forget the oldest beyond 4.
            if blocks.count == 4 { blocks.removeFirst().release() }
            blocks.append(block)
        }
        return block
    }
}

/// A ready-made `flyteauth_metadata` laid out in one buffer, with offsets in place of
/// pointers: copying it out is a malloc, a memcpy and a few additions.
///
/// Every returned allocation starts with a 16-byte prefix holding its size, so the free
/// function can wipe it without the caller passing a length.
struct MetadataBlock {
    let clientID: UInt64
    let generation: UInt64
    let softDeadline: Double
    private let template: UnsafeMutableRawPointer
    private let size: Int
    private let count: Int
    /// (key offset, value offset) per header, from the start of the struct.
    private let offsets: [(Int, Int)]

    static let prefix = 16
    static let structSize = MemoryLayout<flyteauth_metadata>.stride
    static let headerSize = MemoryLayout<flyteauth_header>.stride

    init?(_ snapshot: HeaderSnapshot, clientID: UInt64) {
        self.clientID = clientID
        generation = snapshot.generation
        softDeadline = snapshot.softDeadline
        count = snapshot.headers.count
        var offsets: [(Int, Int)] = []
        var cursor = MetadataBlock.structSize + MetadataBlock.headerSize * count
        for h in snapshot.headers {
            let k = cursor
            cursor += h.key.utf8.count + 1
            offsets.append((k, cursor))
            cursor += h.value.utf8.count + 1
        }
        size = cursor
        self.offsets = offsets
        guard let t = malloc(size) else { return nil }
        template = t
        memset(t, 0, size)
        let md = t.assumingMemoryBound(to: flyteauth_metadata.self)
        md.pointee.age = UInt32(FLYTEAUTH_METADATA_AGE)
        md.pointee.count = count
        md.pointee.expires_at = snapshot.expiresAt.map { Int64(saturatingSeconds: $0) } ?? 0
        // The engine's refresh point; infinite (unknown expiry) saturates to INT64_MAX.
        md.pointee.reuse_until = Int64(saturatingSeconds: snapshot.softDeadline)
        for (i, h) in snapshot.headers.enumerated() {
            MetadataBlock.copyString(h.key, to: t + offsets[i].0)
            MetadataBlock.copyString(h.value, to: t + offsets[i].1)
        }
    }

    private static func copyString(_ s: String, to p: UnsafeMutableRawPointer) {
        var s = s
        s.withUTF8 { bytes in
            if let base = bytes.baseAddress { memcpy(p, base, bytes.count) }
            p.storeBytes(of: 0, toByteOffset: bytes.count, as: UInt8.self)
        }
    }

    func release() {
        fa_explicit_bzero(template, size)
        Glibc.free(template)
    }

    /// A caller-owned copy, or nil when out of memory.
    @inline(__always)
    func copy() -> UnsafeMutablePointer<flyteauth_metadata>? {
        guard let raw = malloc(MetadataBlock.prefix + size) else { return nil }
        raw.storeBytes(of: size, as: Int.self)
        let base = raw + MetadataBlock.prefix
        memcpy(base, template, size)
        let md = base.assumingMemoryBound(to: flyteauth_metadata.self)
        let headers = (base + MetadataBlock.structSize).assumingMemoryBound(to: flyteauth_header.self)
        md.pointee.headers = UnsafePointer(headers)
        for i in 0..<count {
            headers[i].key = UnsafePointer((base + offsets[i].0).assumingMemoryBound(to: CChar.self))
            headers[i].value = UnsafePointer((base + offsets[i].1).assumingMemoryBound(to: CChar.self))
        }
        return md
    }

    /// Wipes and frees what `copy()` returned.
    static func free(_ md: UnsafeMutablePointer<flyteauth_metadata>) {
        let raw = UnsafeMutableRawPointer(md) - prefix
        let size = raw.load(as: Int.self)
        fa_explicit_bzero(raw, prefix + size)
        Glibc.free(raw)
    }
}
