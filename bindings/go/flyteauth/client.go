package flyteauth

/*
#include "shim.h"
*/
import "C"

import (
	"context"
	"encoding/json"
	"errors"
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

	requireTLS bool
}

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
// is true unless the settings make the endpoint plain http ("insecure": true or
// an http:// endpoint).
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
	payload, m, err := mergeSettings(settings, o.overrides)
	if err == nil {
		err = noNUL("settings_json", payload)
	}
	if err != nil {
		return nil, err
	}
	insecure, _ := insecureIn(m)
	return create(o, insecure, func(out **C.flyteauth_client, e *cerr) {
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
	c, err := create(o, false, func(out **C.flyteauth_client, e *cerr) {
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
	if err != nil {
		return nil, err
	}
	if o.requireTLS == nil {
		// File, environment and overrides decide: ask the resolved configuration.
		c.requireTLS = !c.configuredInsecure(path, overrides)
	}
	return c, nil
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

// mergeSettings encodes base with overrides applied; m is the merged object (nil
// when base is not a JSON object, in which case the library reports the error).
func mergeSettings(base, overrides any) (string, map[string]any, error) {
	m, err := settingsMap(base)
	if errors.Is(err, errRawJSON) {
		return rawString(base), nil, nil
	}
	if err != nil {
		return "", nil, err
	}
	if overrides != nil {
		om, err := settingsMap(overrides)
		if errors.Is(err, errRawJSON) {
			return rawString(overrides), nil, nil
		}
		if err != nil {
			return "", nil, err
		}
		for k, v := range om {
			m[k] = v
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", nil, &Error{Op: "settings", Status: StatusConfig, Message: err.Error()}
	}
	return string(b), m, nil
}

func create(o *options, insecure bool, newFn func(**C.flyteauth_client, *cerr), op string) (*Client, error) {
	var ptr *C.flyteauth_client
	var e cerr
	newFn(&ptr, &e)
	if err := e.toError(op); err != nil {
		return nil, err
	}
	c := &Client{ptr: ptr, callbacks: &callbacks{}, requireTLS: !insecure}
	if o.requireTLS != nil {
		c.requireTLS = *o.requireTLS
	}
	c.handle = cgo.NewHandle(c.callbacks)
	liveClients.Add(1)
	runtime.SetFinalizer(c, (*Client).finalize)
	var err error
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
func (c *Client) Headers(ctx context.Context) (*Metadata, error) {
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
	var md *C.flyteauth_metadata
	var e cerr
	C.fa_client_metadata(ptr, &md, &e)
	if err := e.toError("flyteauth_client_metadata"); err != nil {
		return nil, err
	}
	return copyMetadata(md), nil
}

// Metadata returns the headers for one call as a map (see Headers).
func (c *Client) Metadata(ctx context.Context) (map[string]string, error) {
	md, err := c.Headers(ctx)
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
	var md *C.flyteauth_metadata
	var mdp **C.flyteauth_metadata
	if want {
		mdp = &md
	}
	var e cerr
	C.fa_client_refresh(ptr, cr, mdp, &e)
	if err := e.toError("flyteauth_client_refresh"); err != nil {
		return nil, err
	}
	return copyMetadata(md), nil
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
	// Raw is the whole JSON document, with any fields added in later versions.
	Raw json.RawMessage `json:"-"`
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

// configuredInsecure tells, for a client made from the user's configuration,
// whether the endpoint is plain http: the resolved "insecure" and "endpoint"
// settings, else the endpoint's scheme in Status.
func (c *Client) configuredInsecure(path, overrides string) bool {
	if raw, err := resolveConfig(path, overrides); err == nil {
		var doc struct {
			Settings map[string]struct {
				Value any `json:"value"`
			} `json:"settings"`
		}
		if json.Unmarshal(raw, &doc) == nil && doc.Settings != nil {
			m := map[string]any{}
			for k, v := range doc.Settings {
				m[k] = v.Value
			}
			if insecure, known := insecureIn(m); known {
				return insecure
			}
		}
	}
	if s, err := c.Status(); err == nil {
		return strings.HasPrefix(strings.ToLower(s.Endpoint), "http://")
	}
	return false
}

// SetBrowserFunc replaces the PKCE browser opener; nil restores the library's
// default ($BROWSER or xdg-open, and the URL on stderr).
func (c *Client) SetBrowserFunc(fn BrowserFunc) error {
	ptr, err := c.acquire()
	if err != nil {
		return err
	}
	defer c.release()
	prev := c.callbacks.browser.Load()
	var on C.int
	if fn != nil {
		c.callbacks.browser.Store(&fn)
		on = 1
	}
	var e cerr
	C.fa_set_browser(ptr, on, C.uintptr_t(c.handle), &e)
	if err := e.toError("flyteauth_client_set_browser_callback"); err != nil {
		c.callbacks.browser.Store(prev)
		return err
	}
	if fn == nil {
		c.callbacks.browser.Store(nil)
	}
	return nil
}

// SetDevicePromptFunc replaces the device-flow prompt; nil restores the default
// (a message on stderr).
func (c *Client) SetDevicePromptFunc(fn DevicePromptFunc) error {
	ptr, err := c.acquire()
	if err != nil {
		return err
	}
	defer c.release()
	prev := c.callbacks.device.Load()
	var on C.int
	if fn != nil {
		c.callbacks.device.Store(&fn)
		on = 1
	}
	var e cerr
	C.fa_set_device_prompt(ptr, on, C.uintptr_t(c.handle), &e)
	if err := e.toError("flyteauth_client_set_device_prompt_callback"); err != nil {
		c.callbacks.device.Store(prev)
		return err
	}
	if fn == nil {
		c.callbacks.device.Store(nil)
	}
	return nil
}

// SetLogFunc receives log lines at min and above; nil restores the default sink
// (warnings and errors on stderr).
func (c *Client) SetLogFunc(fn LogFunc, min LogLevel) error {
	ptr, err := c.acquire()
	if err != nil {
		return err
	}
	defer c.release()
	prev := c.callbacks.log.Load()
	var on C.int
	if fn != nil {
		c.callbacks.log.Store(&fn)
		on = 1
	}
	var e cerr
	C.fa_set_log(ptr, on, C.uintptr_t(c.handle), C.int(min), &e)
	if err := e.toError("flyteauth_client_set_log_callback"); err != nil {
		c.callbacks.log.Store(prev)
		return err
	}
	if fn == nil {
		c.callbacks.log.Store(nil)
	}
	return nil
}
