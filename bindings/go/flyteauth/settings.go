package flyteauth

import (
	"encoding/json"
	"fmt"
	"time"
)

// AuthType selects how the client gets tokens (the "auth_type" setting).
type AuthType string

// The auth types of flyteauth.h (case-insensitive; aliases accepted by the library
// such as "standard", "client_credentials", "basic", "external_process" work too).
const (
	AuthPKCE            AuthType = "pkce"
	AuthDeviceFlow      AuthType = "deviceflow"
	AuthClientSecret    AuthType = "clientsecret"
	AuthExternalCommand AuthType = "externalcommand"
	AuthPassthrough     AuthType = "passthrough"
	AuthAPIKey          AuthType = "apikey"
	// AuthTokenExchange exchanges SubjectToken for a token for Flyte (RFC 8693).
	AuthTokenExchange AuthType = "tokenexchange"
)

// CredentialSource is where an external token comes from (ClientAssertion,
// SubjectToken, ActorToken): set exactly one field.
type CredentialSource struct {
	File    string   // a file, re-read on every use (a Kubernetes projected token)
	Env     string   // an environment variable
	Command []string // a command printing the token or a JSON document with its expiry
	// GitHubActions uses the job's OIDC token (ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN),
	// requested for GitHubActionsAudience.
	GitHubActions         bool
	GitHubActionsAudience string
}

// Map returns the source as the settings' JSON object.
func (c CredentialSource) Map() map[string]any {
	switch {
	case c.File != "":
		return map[string]any{"file": c.File}
	case c.Env != "":
		return map[string]any{"env": c.Env}
	case c.Command != nil:
		return map[string]any{"command": append([]string{}, c.Command...)}
	case c.GitHubActions:
		inner := map[string]any{}
		if c.GitHubActionsAudience != "" {
			inner["audience"] = c.GitHubActionsAudience
		}
		return map[string]any{"github_actions": inner}
	}
	return map[string]any{}
}

// Settings is the typed form of the JSON settings object of flyteauth_client_new.
// Zero values are left out, so the library's defaults apply. See flyteauth.h for
// each key; SettingsKeys (generated from the library) lists them, and a test fails
// when a key has no field here.
type Settings struct {
	Endpoint             string   // endpoint (admin.endpoint); "dns:///" is stripped
	Insecure             bool     // insecure: plain http to the endpoint
	InsecureSkipVerify   bool     // insecure_skip_verify
	CACertFilePath       string   // ca_cert_file_path
	HTTPProxyURL         string   // http_proxy_url
	AuthType             AuthType // auth_type (default pkce)
	ClientID             string   // client_id
	ClientSecret         string   // client_secret (literal)
	ClientSecretLocation string   // client_secret_location (file)
	ClientSecretEnvVar   string   // client_secret_env_var
	APIKey               string   // api_key (a FLYTE_API_KEY value)
	// Scopes wins over the server's when non-nil (an empty non-nil slice sends []).
	Scopes                      []string
	Audience                    string
	UseAudienceFromAdmin        bool
	Command                     []string // command: argv of the token command (no shell)
	ProxyCommand                []string // proxy_command
	AuthorizationHeader         string   // authorization_header: header key, wins over the server's
	TokenURL                    string
	AuthorizationEndpoint       string
	DeviceAuthorizationEndpoint string
	RedirectURI                 string

	// Durations are sent in seconds; 0 keeps the library's default.
	RefreshWindow     time.Duration
	HTTPTimeout       time.Duration
	ConnectTimeout    time.Duration
	CommandTimeout    time.Duration
	LoginTimeout      time.Duration
	DeviceFlowTimeout time.Duration
	LockTimeout       time.Duration
	KeyringTimeout    time.Duration // each Secret Service call
	// DiscoveryCacheTTL: 0 keeps the default (1 h); negative disables the disk cache.
	DiscoveryCacheTTL time.Duration

	CacheDir      string
	Interactive   *bool // default true; use Bool(false) to forbid browser / device logins
	Keyring       *bool // default true; use Bool(false) to keep tokens out of the Secret Service
	FileCache     bool
	FileCachePath string
	MirrorLayouts []string
	KernelKeyring string // kernel_keyring: "persistent", "user", "session" or "off"

	// Machine identity (docs/machine-identity.md).
	ClientAuthMethod        string            // client_auth_method: private_key_jwt, tls_client_auth, ...
	PrivateKeyFile          string            // private_key_file (PEM)
	PrivateKeyID            string            // private_key_id (default: the RFC 7638 thumbprint)
	CertificateFile         string            // certificate_file (PEM)
	ClientAssertionAudience string            // client_assertion_audience (default: the token endpoint)
	ClientAssertion         *CredentialSource // client_assertion: an external token as the assertion
	SubjectToken            *CredentialSource // subject_token (TokenExchange)
	SubjectTokenType        string            // subject_token_type
	ActorToken              *CredentialSource // actor_token (TokenExchange)
	ActorTokenType          string            // actor_token_type
	RequestedTokenType      string            // requested_token_type
	Resource                string            // resource (TokenExchange)

	// Extra holds keys this struct does not know yet; they win over the fields.
	Extra map[string]any
}

// Bool returns a pointer to b, for Settings.Interactive and Settings.Keyring.
func Bool(b bool) *bool { return &b }

// Map returns the settings as the JSON object's key/value pairs.
func (s Settings) Map() map[string]any {
	m := map[string]any{}
	str := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	flag := func(k string, v bool) {
		if v {
			m[k] = true
		}
	}
	list := func(k string, v []string) {
		if v != nil {
			m[k] = append([]string{}, v...)
		}
	}
	dur := func(k string, d time.Duration) {
		if d != 0 {
			m[k] = d.Seconds()
		}
	}
	str("endpoint", s.Endpoint)
	flag("insecure", s.Insecure)
	flag("insecure_skip_verify", s.InsecureSkipVerify)
	str("ca_cert_file_path", s.CACertFilePath)
	str("http_proxy_url", s.HTTPProxyURL)
	str("auth_type", string(s.AuthType))
	str("client_id", s.ClientID)
	str("client_secret", s.ClientSecret)
	str("client_secret_location", s.ClientSecretLocation)
	str("client_secret_env_var", s.ClientSecretEnvVar)
	str("api_key", s.APIKey)
	list("scopes", s.Scopes)
	str("audience", s.Audience)
	flag("use_audience_from_admin", s.UseAudienceFromAdmin)
	list("command", s.Command)
	list("proxy_command", s.ProxyCommand)
	str("authorization_header", s.AuthorizationHeader)
	str("token_url", s.TokenURL)
	str("authorization_endpoint", s.AuthorizationEndpoint)
	str("device_authorization_endpoint", s.DeviceAuthorizationEndpoint)
	str("redirect_uri", s.RedirectURI)
	dur("refresh_window_seconds", s.RefreshWindow)
	dur("http_timeout_seconds", s.HTTPTimeout)
	dur("connect_timeout_seconds", s.ConnectTimeout)
	dur("command_timeout_seconds", s.CommandTimeout)
	dur("login_timeout_seconds", s.LoginTimeout)
	dur("device_flow_timeout_seconds", s.DeviceFlowTimeout)
	dur("lock_timeout_seconds", s.LockTimeout)
	dur("keyring_timeout_seconds", s.KeyringTimeout)
	if s.DiscoveryCacheTTL > 0 {
		m["discovery_cache_ttl_seconds"] = s.DiscoveryCacheTTL.Seconds()
	} else if s.DiscoveryCacheTTL < 0 {
		m["discovery_cache_ttl_seconds"] = 0
	}
	str("cache_dir", s.CacheDir)
	if s.Interactive != nil {
		m["interactive"] = *s.Interactive
	}
	if s.Keyring != nil {
		m["keyring"] = *s.Keyring
	}
	flag("file_cache", s.FileCache)
	str("file_cache_path", s.FileCachePath)
	list("mirror_layouts", s.MirrorLayouts)
	str("kernel_keyring", s.KernelKeyring)
	str("client_auth_method", s.ClientAuthMethod)
	str("private_key_file", s.PrivateKeyFile)
	str("private_key_id", s.PrivateKeyID)
	str("certificate_file", s.CertificateFile)
	str("client_assertion_audience", s.ClientAssertionAudience)
	source := func(k string, c *CredentialSource) {
		if c != nil {
			m[k] = c.Map()
		}
	}
	source("client_assertion", s.ClientAssertion)
	source("subject_token", s.SubjectToken)
	str("subject_token_type", s.SubjectTokenType)
	source("actor_token", s.ActorToken)
	str("actor_token_type", s.ActorTokenType)
	str("requested_token_type", s.RequestedTokenType)
	str("resource", s.Resource)
	for k, v := range s.Extra {
		m[k] = v
	}
	return m
}

// MarshalJSON encodes the settings as flyteauth_client_new expects them.
func (s Settings) MarshalJSON() ([]byte, error) { return json.Marshal(s.Map()) }

// settingsMap turns what New accepts into a JSON object: Settings, *Settings,
// map[string]any, a JSON string / []byte / json.RawMessage, or any value that
// encoding/json marshals to an object. nil is the empty object.
func settingsMap(v any) (map[string]any, error) {
	var raw []byte
	switch s := v.(type) {
	case nil:
		return map[string]any{}, nil
	case Settings:
		return s.Map(), nil
	case *Settings:
		if s == nil {
			return map[string]any{}, nil
		}
		return s.Map(), nil
	case map[string]any:
		m := make(map[string]any, len(s))
		for k, x := range s {
			m[k] = x
		}
		return m, nil
	case string:
		raw = []byte(s)
	case []byte:
		raw = s
	case json.RawMessage:
		raw = s
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return nil, &Error{Op: "settings", Status: StatusConfig, Message: fmt.Sprintf("settings do not encode to JSON: %v", err)}
		}
		raw = b
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		// Let the library report malformed JSON in its own words.
		return nil, errRawJSON
	}
	return m, nil
}

var errRawJSON = fmt.Errorf("not a JSON object")
