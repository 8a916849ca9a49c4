package flyteauth

/*
#include "shim.h"
*/
import "C"

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"runtime"
	"runtime/cgo"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// Client holds the credentials for one Flyte endpoint: a flyteauth_client.
//
// A Client is safe for concurrent use by any number of goroutines. Close releases
// it; a finalizer closes clients that become unreachable unclosed, but call Close.
//
// Client has the method sets of an oauth2-style token source (Token) and of
// grpc-go's credentials.PerRPCCredentials (GetRequestMetadata,
// RequireTransportSecurity), so it plugs into grpc.WithPerRPCCredentials.
type Client struct {
	// mu is held shared by every call into the library and exclusively by Close:
	// flyteauth_client_free must not race with other calls on the same client.
	mu     sync.RWMutex
	ptr    *C.flyteauth_client
	closed atomic.Bool
	once   sync.Once

	callbacks *callbacks
	handle    cgo.Handle // user_data of the C callbacks: refers to callbacks, not to Client

	// cached holds the last metadata until the library's reuse_until (its refresh
	// point); generation changes whenever an operation may replace the token, so a
	// call that began before it cannot store what it got.
	cached     atomic.Pointer[cachedMetadata]
	generation atomic.Uint64

	requireTLS bool
}

// cachedMetadata is immutable once stored, and shared by every caller until the
// deadline: Headers and Metadata hand out its pointer and map as they are.
type cachedMetadata struct {
	md       *Metadata
	m        map[string]string
	deadline time.Duration // on the monotonic clock, since clockBase
}

// clockBase makes deadlines monotonic durations: time.Since reads one clock, where
// time.Now reads two (the per-call path is a few tens of nanoseconds).
var clockBase = time.Now()

// Header is one header (gRPC metadata entry): lower-case key and value.
type Header struct {
	Key   string
	Value string
}

// Metadata is what to attach to one call: the authorization header first, then
// proxy-authorization when a proxy command is configured.
type Metadata struct {
	Headers []Header
	// Expiry of the access token; zero if unknown.
	Expiry time.Time
}

// Map returns the headers as a map (the form gRPC's PerRPCCredentials returns).
func (m *Metadata) Map() map[string]string {
	out := make(map[string]string, len(m.Headers))
	for _, h := range m.Headers {
		out[h.Key] = h.Value
	}
	return out
}

// Authorization is the first header: the authorization header sent to Flyte.
func (m *Metadata) Authorization() Header {
	if len(m.Headers) == 0 {
		return Header{}
	}
	return m.Headers[0]
}

// Token is an access token, shaped like golang.org/x/oauth2's Token.
type Token struct {
	AccessToken string
	// TokenType is always "Bearer".
	TokenType string
	// Expiry is when the access token expires; zero if unknown.
	Expiry time.Time
}

// Type returns the token type ("Bearer").
func (t *Token) Type() string {
	if t.TokenType == "" {
		return "Bearer"
	}
	return t.TokenType
}

// Valid reports whether t is non-empty and not past its expiry (when known).
func (t *Token) Valid() bool {
	return t != nil && t.AccessToken != "" && (t.Expiry.IsZero() || time.Now().Before(t.Expiry))
}

// String never shows the token.
func (t *Token) String() string { return "flyteauth.Token{<redacted>}" }

// GoString never shows the token (%#v).
func (t *Token) GoString() string { return t.String() }

// Option configures a Client at creation.
type Option func(*options)

type options struct {
	overrides  any
	browser    BrowserFunc
	device     DevicePromptFunc
	log        LogFunc
	logLevel   LogLevel
	requireTLS *bool
}

// WithOverrides merges settings over the ones given to New / NewFromAPIKey, and is
// passed as overrides_json to NewFromConfig. Same forms as New accepts.
func WithOverrides(settings any) Option { return func(o *options) { o.overrides = settings } }

// WithBrowser sets the PKCE browser opener (see Client.SetBrowserFunc).
func WithBrowser(fn BrowserFunc) Option { return func(o *options) { o.browser = fn } }

// WithDevicePrompt sets the device-flow prompt (see Client.SetDevicePromptFunc).
func WithDevicePrompt(fn DevicePromptFunc) Option { return func(o *options) { o.device = fn } }

// WithLogger receives the client's log lines at min and above (see Client.SetLogFunc).
func WithLogger(fn LogFunc, min LogLevel) Option {
	return func(o *options) { o.log, o.logLevel = fn, min }
}

// WithTransportSecurity sets what RequireTransportSecurity answers. The default
// is what the engine applies: false when requests to the endpoint are plain http
// ("insecure": true or an http:// endpoint, from settings, file or environment).
func WithTransportSecurity(required bool) Option {
	return func(o *options) { o.requireTLS = &required }
}

func collect(opts []Option) *options {
	o := &options{logLevel: LogWarning}
	for _, f := range opts {
		if f != nil {
			f(o)
		}
	}
	return o
}

// New creates a client from settings: a Settings or *Settings, a map[string]any,
// a JSON object as string / []byte / json.RawMessage, or anything encoding/json
// marshals to an object with the keys of flyteauth.h. An unknown key or a wrong
// type fails with an error matching ErrConfig that names the key.
func New(settings any, opts ...Option) (*Client, error) {
	o := collect(opts)
	payload, err := mergeSettings(settings, o.overrides)
	if err == nil {
		err = noNUL("settings_json", payload)
	}
	if err != nil {
		return nil, err
	}
	return create(o, func(out **C.flyteauth_client, e *cerr) {
		cs := cString(payload)
		defer freeSecret(cs, len(payload))
		C.fa_client_new(cs, out, e)
	}, "flyteauth_client_new")
}

// NewFromAPIKey creates a client from a FLYTE_API_KEY value (it sets the
// endpoint, client id and secret). WithOverrides adds or overrides settings.
func NewFromAPIKey(key string, opts ...Option) (*Client, error) {
	return New(map[string]any{"api_key": key}, opts...)
}

// NewFromConfig creates a client from the user's Flyte configuration, read as
// flytekit does: path when not empty, else $FLYTECTL_CONFIG, ./flytekit.config,
// ~/.flyte/config, ~/.flyte/config.yaml; then FLYTE_* environment variables; then
// WithOverrides (same keys as New).
func NewFromConfig(path string, opts ...Option) (*Client, error) {
	o := collect(opts)
	overrides, err := overridesJSON(o.overrides)
	if err == nil {
		err = errors.Join(noNUL("config_path", path), noNUL("overrides_json", overrides))
	}
	if err != nil {
		return nil, err
	}
	return create(o, func(out **C.flyteauth_client, e *cerr) {
		var cpath, cover *C.char
		if path != "" {
			cpath = cString(path)
			defer C.free(unsafe.Pointer(cpath))
		}
		if overrides != "" {
			cover = cString(overrides)
			defer freeSecret(cover, len(overrides))
		}
		C.fa_client_new_from_config(cpath, cover, out, e)
	}, "flyteauth_client_new_from_config")
}

// ResolveConfig returns the settings NewFromConfig would use, as JSON with each
// value's source (file, line, environment variable), secrets masked.
func ResolveConfig(path string, overrides any) (json.RawMessage, error) {
	ov, err := overridesJSON(overrides)
	if err != nil {
		return nil, err
	}
	return resolveConfig(path, ov)
}

func resolveConfig(path, overrides string) (json.RawMessage, error) {
	if err := errors.Join(noNUL("config_path", path), noNUL("overrides_json", overrides)); err != nil {
		return nil, err
	}
	var cpath, cover, out *C.char
	if path != "" {
		cpath = cString(path)
		defer C.free(unsafe.Pointer(cpath))
	}
	if overrides != "" {
		cover = cString(overrides)
		defer freeSecret(cover, len(overrides))
	}
	var e cerr
	C.fa_config_resolve(cpath, cover, &out, &e)
	if err := e.toError("flyteauth_config_resolve"); err != nil {
		return nil, err
	}
	return json.RawMessage(takeString(out)), nil
}

func overridesJSON(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	m, err := settingsMap(v)
	if errors.Is(err, errRawJSON) {
		return rawString(v), nil // the library reports the error
	}
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", &Error{Op: "settings", Status: StatusConfig, Message: err.Error()}
	}
	return string(b), nil
}

// noNUL refuses strings C would silently truncate.
func noNUL(what, s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return &Error{Op: "flyteauth", Status: StatusInvalidArgument, Message: what + " contains a NUL byte"}
	}
	return nil
}

func rawString(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case []byte:
		return string(s)
	case json.RawMessage:
		return string(s)
	}
	return ""
}

// mergeSettings encodes base with overrides applied (base as is when it is not a
// JSON object: the library reports the error).
func mergeSettings(base, overrides any) (string, error) {
	m, err := settingsMap(base)
	if errors.Is(err, errRawJSON) {
		return rawString(base), nil
	}
	if err != nil {
		return "", err
	}
	if overrides != nil {
		om, err := settingsMap(overrides)
		if errors.Is(err, errRawJSON) {
			return rawString(overrides), nil
		}
		if err != nil {
			return "", err
		}
		for k, v := range om {
			m[k] = v
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", &Error{Op: "settings", Status: StatusConfig, Message: err.Error()}
	}
	return string(b), nil
}

func create(o *options, newFn func(**C.flyteauth_client, *cerr), op string) (*Client, error) {
	var ptr *C.flyteauth_client
	var e cerr
	newFn(&ptr, &e)
	if err := e.toError(op); err != nil {
		return nil, err
	}
	c := &Client{ptr: ptr, callbacks: &callbacks{}}
	c.handle = cgo.NewHandle(c.callbacks)
	liveClients.Add(1)
	runtime.SetFinalizer(c, (*Client).finalize)
	var err error
	if o.requireTLS != nil {
		c.requireTLS = *o.requireTLS
	} else {
		// The engine knows whether requests to the endpoint are plain http.
		var s *ClientStatus
		if s, err = c.Status(); err == nil {
			c.requireTLS = !s.Settings.Insecure
		}
	}
	if o.browser != nil {
		err = errors.Join(err, c.SetBrowserFunc(o.browser))
	}
	if o.device != nil {
		err = errors.Join(err, c.SetDevicePromptFunc(o.device))
	}
	if o.log != nil {
		err = errors.Join(err, c.SetLogFunc(o.log, o.logLevel))
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (c *Client) finalize() { c.Close() }

// liveClients counts clients not yet closed (tests check the finalizer with it).
var liveClients atomic.Int64

// acquire holds the client open for one call; release ends it.
func (c *Client) acquire() (*C.flyteauth_client, error) {
	c.mu.RLock()
	if c.ptr == nil || c.closed.Load() {
		c.mu.RUnlock()
		return nil, ErrClosed
	}
	return c.ptr, nil
}

func (c *Client) release() {
	c.mu.RUnlock()
	runtime.KeepAlive(c)
}

// Close releases the client. It cancels logins and refreshes of this client that
// are waiting, waits for calls in progress to return, and frees the library's
// client. Calls after Close return ErrClosed. Close is idempotent.
func (c *Client) Close() error {
	c.once.Do(func() {
		runtime.SetFinalizer(c, nil)
		c.closed.Store(true)
		c.invalidate()
		// Only Close writes c.ptr, so reading it here without the lock is safe.
		ptr := c.ptr
		if ptr == nil {
			return
		}
		var e cerr
		C.fa_client_cancel(ptr, &e)
		C.fa_err_free(&e)
		// Calls that passed the closed check before it was set may still enter the
		// library (e.g. a Login about to wait for a person): keep cancelling.
		for !c.mu.TryLock() {
			time.Sleep(5 * time.Millisecond)
			C.fa_client_cancel(ptr, &e)
			C.fa_err_free(&e)
		}
		// flyteauth_client_free returns only once no callback of the client can run
		// (flyteauth.h), so the handle the callbacks look up can be deleted after it.
		C.flyteauth_client_free(ptr)
		c.ptr = nil
		c.mu.Unlock()
		c.handle.Delete()
		liveClients.Add(-1)
	})
	return nil
}

// Headers returns the metadata for one call, getting or refreshing the token as
// needed (a token close to expiry is returned at once and refreshed in the
// background). When ctx ends first, Headers returns ctx.Err(); the library call
// finishes on its own (each of its waits is bounded by a timeout).
//
// Until the library's refresh point (flyteauth_metadata's reuse_until) the headers
// come from a copy in Go memory: no cgo call, no goroutine, no allocation. That
// copy is shared: every call until then returns the same *Metadata, so read it and
// do not modify it. Refresh, Login, Logout and SetToken drop it.
func (c *Client) Headers(ctx context.Context) (*Metadata, error) {
	if err := ended(ctx); err != nil {
		return nil, err
	}
	if cm := c.fresh(); cm != nil {
		return cm.md, nil
	}
	return c.headersSlow(ctx)
}

// ended is ctx.Err() without the lock a cancellable context's Err takes.
func ended(ctx context.Context) error {
	if ctx == nil {
		return nil
	}
	if done := ctx.Done(); done != nil {
		select {
		case <-done:
			return ctx.Err()
		default:
		}
	}
	return nil
}

// fresh returns the cached metadata while the library says it may be reused: no cgo
// call, no goroutine, no lock.
func (c *Client) fresh() *cachedMetadata {
	cm := c.cached.Load()
	if cm == nil || time.Since(clockBase) >= cm.deadline || c.closed.Load() {
		return nil
	}
	return cm
}

// invalidate drops the cached metadata: an operation may replace the token.
func (c *Client) invalidate() uint64 {
	g := c.generation.Add(1)
	c.cached.Store(nil)
	return g
}

// remember caches md until reuseUntil (UTC seconds), unless something invalidated the
// cache since generation was read.
func (c *Client) remember(generation uint64, md *Metadata, reuseUntil int64) {
	if md == nil || c.generation.Load() != generation {
		return
	}
	now := time.Now()
	deadline := time.Duration(math.MaxInt64) // no refresh due: until invalidated
	if left := reuseUntil - now.Unix(); left <= 0 {
		return
	} else if left < int64(math.MaxInt64/time.Second)/2 {
		deadline = now.Sub(clockBase) + time.Duration(left)*time.Second - time.Duration(now.Nanosecond())
	}
	cm := &cachedMetadata{md: md, m: md.Map(), deadline: deadline}
	c.cached.Store(cm)
	// An invalidate between the check above and the store: undo the store.
	// (invalidate bumps the generation before it stores nil.)
	if c.generation.Load() != generation {
		c.cached.CompareAndSwap(cm, nil)
	}
}

func (c *Client) headersSlow(ctx context.Context) (*Metadata, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if ctx.Done() == nil {
		return c.headers()
	}
	type result struct {
		md  *Metadata
		err error
	}
	ch := make(chan result, 1)
	go func() {
		md, err := c.headers()
		ch <- result{md, err}
	}()
	select {
	case r := <-ch:
		return r.md, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *Client) headers() (*Metadata, error) {
	ptr, err := c.acquire()
	if err != nil {
		return nil, err
	}
	defer c.release()
	generation := c.generation.Load()
	var md *C.flyteauth_metadata
	var e cerr
	C.fa_client_metadata(ptr, &md, &e)
	if err := e.toError("flyteauth_client_metadata"); err != nil {
		return nil, err
	}
	out, reuseUntil := copyMetadata(md)
	c.remember(generation, out, reuseUntil)
	return out, nil
}

// Metadata returns the headers for one call as a map (see Headers). The map is
// shared by the calls served from memory: read it, do not modify it.
func (c *Client) Metadata(ctx context.Context) (map[string]string, error) {
	if err := ended(ctx); err != nil {
		return nil, err
	}
	if cm := c.fresh(); cm != nil {
		return cm.m, nil
	}
	md, err := c.headersSlow(ctx)
	if err != nil {
		return nil, err
	}
	return md.Map(), nil
}

// GetRequestMetadata implements grpc-go's credentials.PerRPCCredentials.
func (c *Client) GetRequestMetadata(ctx context.Context, uri ...string) (map[string]string, error) {
	return c.Metadata(ctx)
}

// RequireTransportSecurity implements grpc-go's credentials.PerRPCCredentials:
// true unless the client was configured for a plain-http endpoint or with
// WithTransportSecurity(false).
func (c *Client) RequireTransportSecurity() bool { return c.requireTLS }

// Token returns the current access token, getting or refreshing it as Headers
// does. It has the shape of golang.org/x/oauth2's TokenSource.
func (c *Client) Token() (*Token, error) {
	ptr, err := c.acquire()
	if err != nil {
		return nil, err
	}
	defer c.release()
	var tok *C.char
	var exp C.int64_t
	var e cerr
	C.fa_client_token(ptr, &tok, &exp, &e)
	if err := e.toError("flyteauth_client_token"); err != nil {
		return nil, err
	}
	return &Token{AccessToken: takeString(tok), TokenType: "Bearer", Expiry: unixOrZero(int64(exp))}, nil
}

// Refresh tells the client that a server rejected a call (gRPC UNAUTHENTICATED,
// HTTP 401). rejected is the access token or authorization header value that
// was sent ("Bearer ..." is accepted), or "" to force a refresh. If the client
// already holds a different token, nothing is requested.
func (c *Client) Refresh(rejected string) error {
	_, err := c.refresh(rejected, false)
	return err
}

// RefreshHeaders is Refresh returning the fresh metadata.
func (c *Client) RefreshHeaders(rejected string) (*Metadata, error) {
	return c.refresh(rejected, true)
}

func (c *Client) refresh(rejected string, want bool) (*Metadata, error) {
	if err := noNUL("rejected", rejected); err != nil {
		return nil, err
	}
	ptr, err := c.acquire()
	if err != nil {
		return nil, err
	}
	defer c.release()
	var cr *C.char
	if rejected != "" {
		cr = cString(rejected)
		defer freeSecret(cr, len(rejected))
	}
	generation := c.invalidate()
	var md *C.flyteauth_metadata
	var e cerr
	C.fa_client_refresh(ptr, cr, &md, &e)
	if err := e.toError("flyteauth_client_refresh"); err != nil {
		return nil, err
	}
	out, reuseUntil := copyMetadata(md)
	c.remember(generation, out, reuseUntil)
	if !want {
		return nil, nil
	}
	return out, nil
}

// Login runs the configured flow now, even if a token is cached. For PKCE and
// the device flow it waits for the person. When ctx ends, Login cancels the
// login (flyteauth_client_cancel) and returns an error matching both
// ErrCancelled and ctx.Err(). Cancelling also stops other waiting logins and
// refreshes of this client.
func (c *Client) Login(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	ptr, err := c.acquire()
	if err != nil {
		return err
	}
	defer c.release()

	done := make(chan struct{})
	watcher := make(chan struct{})
	go func() {
		defer close(watcher)
		select {
		case <-ctx.Done():
			// ptr stays valid: Login holds the client until this goroutine ends.
			var e cerr
			C.fa_client_cancel(ptr, &e)
			C.fa_err_free(&e)
		case <-done:
		}
	}()
	c.invalidate()
	defer c.invalidate()
	var e cerr
	C.fa_client_login(ptr, &e)
	close(done)
	<-watcher
	err = e.toError("flyteauth_client_login")
	if err != nil && ctx.Err() != nil {
		var fe *Error
		if errors.As(err, &fe) && fe.Status == StatusCancelled {
			fe.cause = ctx.Err()
		}
	}
	return err
}

// Logout forgets the credentials: memory, the token cache, and this endpoint's
// items in every mirrored keyring layout.
func (c *Client) Logout() error {
	ptr, err := c.acquire()
	if err != nil {
		return err
	}
	defer c.release()
	c.invalidate()
	defer c.invalidate()
	var e cerr
	C.fa_client_logout(ptr, &e)
	return e.toError("flyteauth_client_logout")
}

// SetToken supplies the token yourself (passthrough, or a token from elsewhere);
// "Bearer " is stripped. It is used until expiry (zero: unknown, the JWT's exp
// claim if any) or until rejected. It is not written to the token cache.
func (c *Client) SetToken(accessToken string, expiry time.Time) error {
	if err := noNUL("access_token", accessToken); err != nil {
		return err
	}
	ptr, err := c.acquire()
	if err != nil {
		return err
	}
	defer c.release()
	var exp int64
	if !expiry.IsZero() {
		exp = expiry.Unix()
		if exp <= 0 {
			exp = 1 // already expired, not "unknown"
		}
	}
	ct := cString(accessToken)
	defer freeSecret(ct, len(accessToken))
	c.invalidate()
	defer c.invalidate()
	var e cerr
	C.fa_client_set_token(ptr, ct, C.int64_t(exp), &e)
	return e.toError("flyteauth_client_set_token")
}

// Cancel stops any login or refresh of this client that is waiting, from any
// goroutine; the waiting call returns an error matching ErrCancelled.
func (c *Client) Cancel() error {
	ptr, err := c.acquire()
	if err != nil {
		return err
	}
	defer c.release()
	var e cerr
	C.fa_client_cancel(ptr, &e)
	return e.toError("flyteauth_client_cancel")
}

// ClientStatus describes a client's state for display; it never holds a secret.
type ClientStatus struct {
	Endpoint        string         `json:"endpoint,omitempty"`
	AuthType        string         `json:"auth_type"`
	TokenSource     string         `json:"token_source"`
	Interactive     bool           `json:"interactive"`
	LibraryVersion  string         `json:"library_version"`
	ClientID        string         `json:"client_id,omitempty"`
	Cache           string         `json:"cache,omitempty"`
	HasToken        bool           `json:"has_token"`
	HasRefreshToken bool           `json:"has_refresh_token"`
	ExpiresAt       *float64       `json:"expires_at,omitempty"`
	Claims          map[string]any `json:"claims,omitempty"`
	// Settings are the settings as the engine applies them.
	Settings EffectiveSettings `json:"settings"`
	// Raw is the whole JSON document, with any fields added in later versions.
	Raw json.RawMessage `json:"-"`
}

// EffectiveSettings are the settings as the engine applies them ("settings" in
// flyteauth_client_status): what the file, the environment and the overrides
// resolved to, with the engine's defaults. Never a secret.
type EffectiveSettings struct {
	Endpoint           string `json:"endpoint,omitempty"` // as configured
	BaseURL            string `json:"base_url,omitempty"` // scheme://host[:port]
	Host               string `json:"host,omitempty"`     // host[:port]
	Insecure           bool   `json:"insecure"`           // plain http to the endpoint
	InsecureSkipVerify bool   `json:"insecure_skip_verify"`
	CACertFilePath     string `json:"ca_cert_file_path,omitempty"`
	AuthType           string `json:"auth_type"`
	ClientID           string `json:"client_id,omitempty"`
	Interactive        bool   `json:"interactive"`
	// RefreshWindowSeconds: how long before expiry the engine refreshes.
	RefreshWindowSeconds float64 `json:"refresh_window_seconds"`
	// HeaderKey is the configured authorization header key; empty when the server's is used.
	HeaderKey          string `json:"header_key,omitempty"`
	ProxyAuthorization bool   `json:"proxy_authorization"` // a proxy command is configured
	Cached             bool   `json:"cached"`              // tokens go to the shared cache
}

// Expiry is the token's expiry, zero if unknown or no token.
func (s *ClientStatus) Expiry() time.Time {
	if s.ExpiresAt == nil {
		return time.Time{}
	}
	return unixOrZero(int64(*s.ExpiresAt))
}

// Status describes the client's state: endpoint, auth type, token source,
// expiry, identity claims. Does no I/O.
func (c *Client) Status() (*ClientStatus, error) {
	raw, err := c.statusJSON()
	if err != nil {
		return nil, err
	}
	s := &ClientStatus{Raw: json.RawMessage(raw)}
	if err := json.Unmarshal([]byte(raw), s); err != nil {
		return nil, &Error{Op: "flyteauth_client_status", Status: StatusInternal, Message: "status is not JSON: " + err.Error()}
	}
	return s, nil
}

func (c *Client) statusJSON() (string, error) {
	ptr, err := c.acquire()
	if err != nil {
		return "", err
	}
	defer c.release()
	var out *C.char
	var e cerr
	C.fa_client_status(ptr, &out, &e)
	if err := e.toError("flyteauth_client_status"); err != nil {
		return "", err
	}
	return takeString(out), nil
}

// SetBrowserFunc replaces the PKCE browser opener; nil restores the library's
// default ($BROWSER or xdg-open, and the URL on stderr).
func (c *Client) SetBrowserFunc(fn BrowserFunc) error {
	return setCallback(c, &c.callbacks.browser, fn, fn != nil, "flyteauth_client_set_browser_callback",
		func(ptr *C.flyteauth_client, on C.int, e *cerr) { C.fa_set_browser(ptr, on, C.uintptr_t(c.handle), e) })
}

// SetDevicePromptFunc replaces the device-flow prompt; nil restores the default
// (a message on stderr).
func (c *Client) SetDevicePromptFunc(fn DevicePromptFunc) error {
	return setCallback(c, &c.callbacks.device, fn, fn != nil, "flyteauth_client_set_device_prompt_callback",
		func(ptr *C.flyteauth_client, on C.int, e *cerr) {
			C.fa_set_device_prompt(ptr, on, C.uintptr_t(c.handle), e)
		})
}

// SetLogFunc receives log lines at min and above; nil restores the default sink
// (warnings and errors on stderr).
func (c *Client) SetLogFunc(fn LogFunc, min LogLevel) error {
	return setCallback(c, &c.callbacks.log, fn, fn != nil, "flyteauth_client_set_log_callback",
		func(ptr *C.flyteauth_client, on C.int, e *cerr) {
			C.fa_set_log(ptr, on, C.uintptr_t(c.handle), C.int(min), e)
		})
}

// setCallback is every setter: fn goes into its slot before the library may call
// it, and the previous one comes back when the library refuses.
func setCallback[F any](c *Client, slot *atomic.Pointer[F], fn F, on bool, op string,
	set func(*C.flyteauth_client, C.int, *cerr)) error {
	ptr, err := c.acquire()
	if err != nil {
		return err
	}
	defer c.release()
	prev := slot.Load()
	var flag C.int
	if on {
		slot.Store(&fn)
		flag = 1
	}
	var e cerr
	set(ptr, flag, &e)
	if err := e.toError(op); err != nil {
		slot.Store(prev)
		return err
	}
	if !on {
		slot.Store(nil)
	}
	return nil
}
