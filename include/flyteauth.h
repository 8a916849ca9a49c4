/*
 * flyteauth.h - the C interface of libflyteauth, one authentication engine for
 * every Flyte client.
 *
 * This header is the whole contract. It compiles as C99 and as C++, and it only
 * grows: functions are added, never removed or changed (see README.md,
 * "ABI policy"). Every exported symbol starts with flyteauth_.
 *
 * Conventions, for every function below:
 *
 *  - Status. Functions that can fail return a flyteauth_status. On failure
 *    they also record a message for the calling thread, read with
 *    flyteauth_error_last(). Output parameters are written only on success
 *    (set to NULL / 0 otherwise).
 *
 *  - Ownership. Strings the library returns through `char **` parameters are
 *    owned by the caller and freed with flyteauth_string_free(). Metadata
 *    returned through `flyteauth_metadata **` is freed with
 *    flyteauth_metadata_free(). A `const char *` return value is owned by the
 *    library and documented with its lifetime. Both free functions wipe the
 *    memory before releasing it, because it holds secrets.
 *
 *  - NULL. Every pointer parameter may be NULL: a required one gives
 *    FLYTEAUTH_E_INVALID_ARGUMENT, never a crash. Free functions accept NULL.
 *
 *  - Threads. A client may be used from any number of threads at once.
 *    flyteauth_client_free() must not race with other calls on the same
 *    client. The thread-local error is per thread.
 *
 *  - Blocking. Functions that may talk to the network or run a command block
 *    the calling thread, each wait bounded by a timeout from the settings.
 *    Only the login flows (PKCE, device) can wait for a person; they honour
 *    flyteauth_client_cancel() and their own timeouts.
 *
 *  - fork(). A client must not be used in a child process created by fork()
 *    after the client was created: calls there fail with FLYTEAUTH_E_FORKED
 *    instead of hanging on a D-Bus connection inherited from the parent.
 *    Create a new client in the child.
 *
 *  - Structs that grow (the age rule, after libcurl's curl_version_info_data).
 *    The library allocates every struct it hands out (flyteauth_metadata,
 *    flyteauth_error); programs never allocate, copy by value, or take
 *    sizeof() of them. Such a struct starts with `unsigned int age`; members
 *    are only ever appended, never reordered, retyped or removed, and each
 *    addition raises the struct's age by one. The header defines one macro per
 *    age (FLYTEAUTH_METADATA_AGE_0, ..._1, ...) and the current one
 *    (FLYTEAUTH_METADATA_AGE); each member says the age that added it. A
 *    program built against a newer header may run on an older library, so it
 *    reads a member added after age 0 only when `p->age` is at least that
 *    member's age:
 *
 *        if (md->age >= FLYTEAUTH_METADATA_AGE_1) use(md->member_of_age_1);
 *
 *    Members of age 0 are always there. Structs the program reads in arrays
 *    (flyteauth_header) and callback types are frozen. `make abi-check`
 *    enforces this rule (packaging/README.md, "ABI policy").
 */
#ifndef FLYTEAUTH_H
#define FLYTEAUTH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Versions                                                                  */
/* ------------------------------------------------------------------------ */

/** Version of this header. The library's own is flyteauth_version(). */
#define FLYTEAUTH_VERSION_MAJOR 0
#define FLYTEAUTH_VERSION_MINOR 1
#define FLYTEAUTH_VERSION_PATCH 0
/** 0xMMmmpp, comparable with flyteauth_version_number(). */
#define FLYTEAUTH_VERSION_NUMBER 0x000100

/**
 * The library's version as "MAJOR.MINOR.PATCH". Static string owned by the
 * library; never NULL, never freed.
 */
const char *flyteauth_version(void);

/** The library's version as 0xMMmmpp (e.g. 0x000100 for 0.1.0). */
unsigned int flyteauth_version_number(void);

/* ------------------------------------------------------------------------ */
/* Status codes and errors                                                   */
/* ------------------------------------------------------------------------ */

/**
 * Result of every fallible call. Values are stable; new ones may be added, so
 * treat unknown values as FLYTEAUTH_E_INTERNAL.
 */
typedef enum flyteauth_status {
    FLYTEAUTH_OK = 0,
    /** A required argument was NULL or malformed (e.g. not valid UTF-8). */
    FLYTEAUTH_E_INVALID_ARGUMENT = 1,
    /** The configuration is invalid: unknown key, wrong type, missing value,
     *  unreadable secret file, malformed API key. The message names it. */
    FLYTEAUTH_E_CONFIG = 2,
    /** A server could not be reached: DNS, connect, TLS, proxy. */
    FLYTEAUTH_E_NETWORK = 3,
    /** A deadline passed: HTTP request, command, login, lock wait. */
    FLYTEAUTH_E_TIMEOUT = 4,
    /** A server answered with an unexpected HTTP status or a body that is not
     *  what the protocol says (garbage, too large, not JSON). */
    FLYTEAUTH_E_PROTOCOL = 5,
    /** The identity provider refused: an OAuth2 error response. The error's
     *  oauth_error / oauth_error_description carry the IdP's words. */
    FLYTEAUTH_E_OAUTH = 6,
    /** No usable token, and getting one needs a person (interactive login
     *  disabled, or passthrough without a token). flytekit's
     *  AccessTokenNotFoundError. */
    FLYTEAUTH_E_LOGIN_REQUIRED = 7,
    /** The external token command failed: exit status, stderr in the message. */
    FLYTEAUTH_E_COMMAND = 8,
    /** flyteauth_client_cancel() stopped the operation. */
    FLYTEAUTH_E_CANCELLED = 9,
    /** The token cache (keyring or file) failed and the operation needed it. */
    FLYTEAUTH_E_CACHE = 10,
    /** The server or IdP does not offer what the flow needs (e.g. no device
     *  authorization endpoint). */
    FLYTEAUTH_E_UNSUPPORTED = 11,
    /** The client was created before fork() and used in the child. */
    FLYTEAUTH_E_FORKED = 12,
    /** A bug in libflyteauth. Please report it with the message. */
    FLYTEAUTH_E_INTERNAL = 13
} flyteauth_status;

/**
 * A short English description of a status ("network error", ...). Static
 * string; never NULL (unknown values give "unknown status").
 */
const char *flyteauth_strerror(flyteauth_status status);

/** Ages of flyteauth_error: see "Structs that grow" above. */
#define FLYTEAUTH_ERROR_AGE_0 0 /* 0.1.0: status .. http_status */
/** The age this header describes. */
#define FLYTEAUTH_ERROR_AGE FLYTEAUTH_ERROR_AGE_0

/**
 * Details of the last failure on the calling thread. Allocated by the library;
 * grows by the age rule: read a member only when `age` is at least the age
 * that added it (every member below is of age 0).
 */
typedef struct flyteauth_error {
    /** The age of this struct as the running library fills it:
     *  FLYTEAUTH_ERROR_AGE of the header the library was built with. */
    unsigned int age;
    /** The status the failing call returned. */
    flyteauth_status status;
    /** What failed, naming the setting, URL, command or key involved.
     *  Never contains a secret. Never NULL. */
    const char *message;
    /** OAuth2 `error` from the IdP (e.g. "invalid_grant"), or NULL. */
    const char *oauth_error;
    /** OAuth2 `error_description` from the IdP, or NULL. */
    const char *oauth_error_description;
    /** HTTP status of the failing response, or 0. */
    int http_status;
} flyteauth_error;

/**
 * The last error recorded on the calling thread, or NULL when the last
 * fallible call on this thread succeeded. The struct and its strings are
 * owned by the library and stay valid until the next flyteauth_ call on the
 * same thread.
 */
const flyteauth_error *flyteauth_error_last(void);

/* ------------------------------------------------------------------------ */
/* Memory                                                                    */
/* ------------------------------------------------------------------------ */

/** Wipe and free a string returned by the library. NULL is allowed. */
void flyteauth_string_free(char *string);

/* ------------------------------------------------------------------------ */
/* Clients                                                                   */
/* ------------------------------------------------------------------------ */

/** An authenticated connection's credentials for one Flyte endpoint. Opaque. */
typedef struct flyteauth_client flyteauth_client;

/**
 * Create a client from a JSON settings object (UTF-8, at most 1 MiB).
 *
 * Every key is optional except as the chosen auth type needs; an unknown key
 * or a wrong type fails with FLYTEAUTH_E_CONFIG naming the key. Keys (their
 * flytekit / flytectl names in parentheses; see README.md "Settings"):
 *
 *   endpoint               string  Flyte endpoint, "dns:///" stripped (admin.endpoint)
 *   insecure               bool    plain http to the endpoint (admin.insecure)
 *   insecure_skip_verify   bool    no TLS verification (admin.insecureSkipVerify)
 *   ca_cert_file_path      string  CA bundle for every request (admin.caCertFilePath)
 *   http_proxy_url         string  proxy for every request (admin.httpProxyURL)
 *   auth_type              string  pkce | standard | deviceflow | clientsecret |
 *                                  client_credentials | basic | externalcommand |
 *                                  external_process | passthrough | apikey |
 *                                  tokenexchange (case-insensitive). Unset:
 *                                  FLYTEAUTH_AUTH_TYPE if set, else tokenexchange when
 *                                  subject_token is set, clientsecret when a client
 *                                  secret (client_secret, _location or _env_var),
 *                                  client_assertion, or a client_auth_method of
 *                                  private_key_jwt or *tls_client_auth is set,
 *                                  externalcommand when command is, else pkce
 *   client_id              string
 *   client_secret          string  literal secret
 *   client_secret_location string  file holding the secret; one trailing newline dropped
 *   client_secret_env_var  string  environment variable holding the secret
 *   api_key                string  a FLYTE_API_KEY value (sets endpoint, client id, secret)
 *   scopes                 array of strings; wins over the server's
 *   audience               string
 *   use_audience_from_admin bool   take the audience from the server's client config
 *   command                array of strings: argv of the token command (no shell).
 *                                  It prints the token, or a JSON document with its
 *                                  expiry: an OAuth token response (access_token,
 *                                  expires_in), a kubectl ExecCredential
 *                                  (status.token, status.expirationTimestamp) or a
 *                                  credential_process document (Version 1, Token,
 *                                  Expiration). A token with an expiry (the document's
 *                                  or its JWT exp) is cached in the tiers under the
 *                                  client id "command:<hash of argv>" and the command
 *                                  runs again only near its end.
 *   proxy_command          array of strings: argv printing the proxy-authorization
 *                                  token (or a JSON document, as for command)
 *   authorization_header   string  header key, wins over the server's
 *   token_url              string  token endpoint, wins over discovery
 *   authorization_endpoint string  wins over discovery
 *   device_authorization_endpoint string  wins over discovery
 *   redirect_uri           string  PKCE loopback redirect, wins over the server's
 *   refresh_window_seconds number  refresh this long before expiry (default 60; at
 *                                  most half the token's lifetime)
 *   http_timeout_seconds   number  whole-request deadline (default 30)
 *   connect_timeout_seconds number (default 10)
 *   command_timeout_seconds number token and proxy commands (default 60)
 *   login_timeout_seconds  number  PKCE callback wait (default 120)
 *   device_flow_timeout_seconds number (default 600)
 *   lock_timeout_seconds   number  cross-process refresh lock wait (default 30)
 *   keyring_timeout_seconds number each Secret Service call (default 5)
 *   discovery_cache_ttl_seconds number (default 3600; 0 disables the disk cache)
 *   cache_dir              string  discovery cache and lock files
 *                                  (default $XDG_CACHE_HOME/flyteauth)
 *   interactive            bool    allow browser / device logins (default true)
 *   kernel_keyring         string  the first cache tier, in the Linux kernel's key
 *                                  retention service: "persistent" (default: the
 *                                  user's persistent keyring, else the user keyring),
 *                                  "user", "session" or "off" (admin.kernelKeyring;
 *                                  FLYTEAUTH_KERNEL_KEYRING applies when the key is
 *                                  absent). See "Token cache tiers" below.
 *   keyring                bool    use the Secret Service (default true)
 *   file_cache             bool    opt in to the plaintext 0600 file cache, written
 *                                  only where neither the kernel tier nor the Secret
 *                                  Service can take a login (default false; also
 *                                  FLYTEAUTH_FILE_CACHE=1 in the environment)
 *   file_cache_path        string  where (default $XDG_STATE_HOME/flyteauth/tokens.json)
 *   mirror_layouts         array   other tools' keyring layouts to write after a
 *                                  login or refresh (default all three: "flytekit",
 *                                  "flyte-sdk", "flytectl"; a shorter list narrows it)
 *
 * Machine identity (docs/machine-identity.md): how the client authenticates at the
 * token endpoint, and token exchange. A credential source below is a JSON object,
 * one of {"file": PATH} (re-read on every use: a Kubernetes projected token),
 * {"env": NAME}, {"command": [ARGV...]} (a bare token or a JSON document with an
 * expiry, as for "command") or {"github_actions": {"audience": AUD}} (the job's
 * ACTIONS_ID_TOKEN_REQUEST_URL and _TOKEN). A token past its JWT exp is never sent.
 *
 *   client_auth_method     string  client_secret_basic | client_secret_post |
 *                                  client_secret_jwt | private_key_jwt |
 *                                  tls_client_auth | self_signed_tls_client_auth |
 *                                  none (default: private_key_jwt with a key alone or
 *                                  client_assertion, else client_secret_basic with a
 *                                  secret, else none). Applies to every token request
 *                                  of the client: client credentials, token exchange,
 *                                  and a confidential PKCE/device client's code
 *                                  exchange and refresh.
 *   private_key_file       string  PEM private key (PKCS#1, PKCS#8 or SEC1; RSA >= 2048
 *                                  bits: RS256, EC P-256: ES256; not encrypted) that
 *                                  signs private_key_jwt assertions, or the TLS client
 *                                  key with certificate_file
 *   private_key_id         string  the assertion's "kid" (default: the key's RFC 7638
 *                                  thumbprint)
 *   certificate_file       string  PEM certificate: the TLS client certificate (RFC
 *                                  8705, mTLS ingresses), or with private_key_jwt the
 *                                  assertion's "x5t#S256"
 *   client_assertion_audience string the assertion's "aud" (default: the token endpoint)
 *   client_assertion       object  a credential source whose token is sent as the
 *                                  client assertion (workload identity federation)
 *   subject_token          object  token exchange: the credential source to exchange
 *   subject_token_type     string  (default urn:ietf:params:oauth:token-type:jwt)
 *   actor_token            object  token exchange: an optional actor's credential source
 *   actor_token_type       string  (default urn:ietf:params:oauth:token-type:jwt)
 *   requested_token_type   string  (default ...:token-type:access_token)
 *   resource               string  token exchange: the target resource URI
 *
 * A cached token is served only to the credential (secret, key file, assertion or
 * subject source, command) and the request (scopes, audience, token URL, method)
 * that obtained it: the cache item records an HMAC-SHA256 tag keyed with the
 * credential, never the credential itself.
 *
 * The environment, read when the client is created, the same for every
 * constructor (flyteauth_client_new_from_config() reads the FLYTE_* variables
 * too, into the settings, see there):
 *
 *   FLYTEAUTH_AUTH_TYPE    auth_type when the settings leave it unset
 *   FLYTE_API_KEY          the API key when auth_type is apikey and api_key is unset
 *   FLYTEAUTH_FILE_CACHE   1 / true turns file_cache on
 *   XDG_CACHE_HOME, HOME   the default cache_dir
 *   XDG_STATE_HOME, HOME   the default file_cache_path
 *   XDG_RUNTIME_DIR        lock files in $XDG_RUNTIME_DIR/flyteauth (else cache_dir/locks)
 *   FLYTEAUTH_KERNEL_KEYRING  kernel_keyring when the setting is unset
 *   (client_secret_env_var) the variable it names
 *
 * and, during a browser login with the default opener, BROWSER, DISPLAY and
 * WAYLAND_DISPLAY.
 *
 * Token cache tiers (cached flows: PKCE, device flow, client credentials, token
 * exchange, and a token command whose output gives an expiry):
 *   1. kernel keyring: one "user" key per (endpoint, client id), description
 *      "flyteauth:<host:port> <client id>", payload the canonical item (the Secret
 *      Service item's JSON). Readable only by its possessors: processes of the same
 *      user that link the keyring (root can read it, as it can the Secret Service).
 *      Kernel memory only, never on disk or swap, gone at reboot; the kernel times
 *      the key out when the token stops being usable. Two system calls per read.
 *   2. Secret Service (libsecret, loaded on first use), then the other tools'
 *      layouts: durable across reboots, encrypted at rest by gnome-keyring/KWallet.
 *   3. the opt-in file: plaintext 0600 on disk.
 * A read takes the first tier holding the token and copies a lower tier's hit
 * into the kernel tier; a login or refresh writes every tier in use; logout and a
 * refused refresh token clear every tier. Where the kernel refuses (EPERM under
 * Docker's default seccomp profile, ENOSYS, EOPNOTSUPP, EDQUOT over quota,
 * EACCES) the tier is unavailable: the lower tiers serve, with one debug-level log
 * line and no error. On a headless machine (no Secret Service) a login is shared
 * by the user's processes through the kernel tier alone, with nothing on disk.
 */
flyteauth_status flyteauth_client_new(const char *settings_json,
                                      flyteauth_client **out);

/**
 * Release a client. A refresh running in the background finishes on its own
 * and its result is dropped; no callback of this client (browser, device
 * prompt, log) is called after this returns, so their user_data may be freed.
 * NULL is allowed.
 */
void flyteauth_client_free(flyteauth_client *client);

/* ------------------------------------------------------------------------ */
/* Metadata for a call                                                       */
/* ------------------------------------------------------------------------ */

/** One header (gRPC metadata entry): lower-case key and its value. */
typedef struct flyteauth_header {
    const char *key;
    const char *value;
} flyteauth_header;

/** Ages of flyteauth_metadata: see "Structs that grow" above. */
#define FLYTEAUTH_METADATA_AGE_0 0 /* 0.1.0: count .. reuse_until */
/** The age this header describes. */
#define FLYTEAUTH_METADATA_AGE FLYTEAUTH_METADATA_AGE_0

/**
 * Everything to attach to one call to Flyte. One allocation; free it with
 * flyteauth_metadata_free(). Allocated by the library; grows by the age rule:
 * read a member only when `age` is at least the age that added it (every
 * member below is of age 0).
 */
typedef struct flyteauth_metadata {
    /** The age of this struct as the running library fills it:
     *  FLYTEAUTH_METADATA_AGE of the header the library was built with. */
    unsigned int age;
    /** Number of entries in headers (1, or 2 with proxy-authorization). */
    size_t count;
    /** The headers: the authorization header first. */
    const flyteauth_header *headers;
    /** Expiry of the access token, UTC seconds since the epoch; 0 if unknown. */
    int64_t expires_at;
    /** Until then (UTC seconds since the epoch) a binding may hand out copies
     *  of these headers without calling the library again: the engine's own
     *  refresh point (a little before expiry, see refresh_window_seconds; the
     *  proxy-authorization token's too). INT64_MAX when no refresh is due (a
     *  token of unknown expiry). From then on, call flyteauth_client_metadata()
     *  each time: it returns the current headers and refreshes as needed. Copies
     *  must also be dropped after flyteauth_client_refresh(), _login(),
     *  _logout() and _set_token() on the same client. */
    int64_t reuse_until;
} flyteauth_metadata;

/**
 * The headers to send on a call: the authorization header
 * (`<key>: Bearer <token>`) and, when a proxy command is configured,
 * `proxy-authorization`. Gets or refreshes a token when the one in memory is
 * missing or inside the refresh window; when it is still valid but close to
 * expiry, returns it at once and refreshes in the background.
 */
flyteauth_status flyteauth_client_metadata(flyteauth_client *client,
                                           flyteauth_metadata **out);

/** Wipe and free metadata. NULL is allowed. */
void flyteauth_metadata_free(flyteauth_metadata *metadata);

/**
 * The current access token (no "Bearer " prefix) and its expiry (UTC seconds,
 * 0 if unknown), getting or refreshing it as flyteauth_client_metadata() does.
 * expires_at may be NULL. Free the token with flyteauth_string_free().
 */
flyteauth_status flyteauth_client_token(flyteauth_client *client,
                                        char **access_token,
                                        int64_t *expires_at);

/**
 * Call this when a server rejected a call (gRPC UNAUTHENTICATED, HTTP 401).
 * `rejected` is the access token or authorization header value that was
 * sent ("Bearer ..." is accepted), or NULL to force a refresh.
 *
 * The retry rule every binding's RPC adapter keeps (Python flyteauth.grpc, Go
 * flyteauthgrpc; each has a test of it):
 *
 *   - a call that fails with UNAUTHENTICATED, or a unary call (one request,
 *     one response) that fails with UNKNOWN (how an ingress's HTML 401 page reaches a gRPC client; flytekit
 *     retries it too), calls flyteauth_client_refresh() with the value it sent
 *     and is sent again once with the new metadata;
 *   - never more than once per call, and a stream only if it failed before its
 *     first response;
 *   - when the refresh fails, the call's error is returned with the refresh's
 *     reason added.
 *
 * (An adapter may let its user leave UNKNOWN out, for servers that use it for
 * other failures; it is in by default.) HTTP adapters do the same on 401.
 *
 * If the client already holds a different token (another thread or process
 * refreshed meanwhile), that one is returned without a request. Otherwise the
 * token is refreshed once: threads and processes rejected together share one
 * refresh. Returns fresh metadata in *out when out is not NULL.
 */
flyteauth_status flyteauth_client_refresh(flyteauth_client *client,
                                          const char *rejected,
                                          flyteauth_metadata **out);

/**
 * Run the configured flow now, even if a token is cached (e.g. `flyteauth
 * login`). For PKCE and device flow this waits for the person.
 */
flyteauth_status flyteauth_client_login(flyteauth_client *client);

/**
 * Forget the credentials: memory, the token cache, and this endpoint's items
 * in every mirrored keyring layout.
 */
flyteauth_status flyteauth_client_logout(flyteauth_client *client);

/**
 * Supply the token yourself (passthrough, or a token from elsewhere). It is
 * used as is until it expires (expires_at, UTC seconds; 0 = unknown) or is
 * rejected. It is not written to the token cache.
 */
flyteauth_status flyteauth_client_set_token(flyteauth_client *client,
                                            const char *access_token,
                                            int64_t expires_at);

/**
 * Stop any login or refresh of this client that is waiting, from any thread.
 * The waiting call returns FLYTEAUTH_E_CANCELLED. Later calls work normally.
 */
flyteauth_status flyteauth_client_cancel(flyteauth_client *client);

/**
 * A JSON description of the client's state for display: endpoint, auth type,
 * header key, token source, expiry, identity claims from the token. Never
 * contains a secret. Does no I/O. Free with flyteauth_string_free().
 *
 * Its "settings" object holds the settings as the engine applies them, for
 * bindings to read instead of re-deriving them: "endpoint" (as configured),
 * "base_url" (with scheme), "host", "insecure" (true when requests to the
 * endpoint are plain http: "insecure" set or an http:// endpoint),
 * "insecure_skip_verify", "ca_cert_file_path", "auth_type", "client_id",
 * "interactive", "refresh_window_seconds", "header_key" (the configured
 * authorization_header, lower-case; absent when the server's is used),
 * "proxy_authorization" (a proxy command is configured) and "cached" (tokens
 * go to the shared token cache). Keys absent when unset; more may be added.
 *
 * Once the cache has been opened, "token_tier" ("kernel", "secret_service", "file", or
 * null when the token did not come from the cache) and "cache_tiers" (an array
 * of {"name", "available" (true, false, or null when not used yet), "detail"}).
 */
flyteauth_status flyteauth_client_status(flyteauth_client *client,
                                         char **status_json);

/* ------------------------------------------------------------------------ */
/* Host callbacks                                                            */
/* ------------------------------------------------------------------------ */

/**
 * Opens `url` (the PKCE authorization URL) for the person. Return 0 when it
 * was shown or opened; non-zero lets the library use its default (run
 * $BROWSER or xdg-open when a display is available). The library prints the
 * URL on stderr in every case unless a callback returned 0.
 * Called on the thread that runs the login; must not call back into the same
 * client.
 */
typedef int (*flyteauth_browser_fn)(void *user_data, const char *url);

/**
 * Tells the person how to approve a device login. `verification_uri_complete`
 * is NULL when the IdP sent none. `expires_at` is UTC seconds. Called once
 * per device login, on the thread that runs it.
 */
typedef void (*flyteauth_device_prompt_fn)(void *user_data,
                                           const char *verification_uri,
                                           const char *verification_uri_complete,
                                           const char *user_code,
                                           int64_t expires_at);

/** Severity of a log line. */
typedef enum flyteauth_log_level {
    FLYTEAUTH_LOG_DEBUG = 0,
    FLYTEAUTH_LOG_INFO = 1,
    FLYTEAUTH_LOG_WARNING = 2,
    FLYTEAUTH_LOG_ERROR = 3
} flyteauth_log_level;

/**
 * Receives the client's log lines (never secrets). Any thread may call it, and
 * calls are serialised.
 */
typedef void (*flyteauth_log_fn)(void *user_data, flyteauth_log_level level,
                                 const char *message);

/*
 * Callback lifetime: once a setter returns, the previous callback is not called
 * again, except by a login already running on another thread, which may still
 * show its URL or code with the callback it started with (logins run on the
 * calling thread, never in the background). Log callbacks are serialised: when
 * flyteauth_client_set_log_callback returns, no call to the previous one is in
 * progress. After flyteauth_client_free returns, no callback of the client is
 * called, so user_data may be released then.
 */

/** Replace the browser opener; fn NULL restores the default. */
flyteauth_status flyteauth_client_set_browser_callback(flyteauth_client *client,
                                                       flyteauth_browser_fn fn,
                                                       void *user_data);

/** Replace the device prompt (default: a message on stderr); NULL restores it. */
flyteauth_status flyteauth_client_set_device_prompt_callback(
    flyteauth_client *client, flyteauth_device_prompt_fn fn, void *user_data);

/**
 * Receive log lines at `min_level` and above. The default sink writes
 * warnings and errors to stderr; fn NULL restores it. The environment
 * variable FLYTEAUTH_LOG=off|error|warning|info|debug (read once per
 * process) sets what the default sink writes; a callback keeps `min_level`.
 */
flyteauth_status flyteauth_client_set_log_callback(flyteauth_client *client,
                                                   flyteauth_log_fn fn,
                                                   void *user_data,
                                                   flyteauth_log_level min_level);

/* ------------------------------------------------------------------------ */
/* The user's Flyte configuration                                            */
/* ------------------------------------------------------------------------ */

/**
 * Create a client from the configuration Flyte users already have, read as
 * flytekit does: `config_path` when not NULL, else the first of
 * $FLYTECTL_CONFIG, ./flytekit.config, ~/.flyte/config, ~/.flyte/config.yaml;
 * then the FLYTE_* environment variables over the file; then
 * `overrides_json` (same keys as flyteauth_client_new(), may be NULL) over
 * both. A malformed file fails with FLYTEAUTH_E_CONFIG naming file, line and
 * key; so does a file another user owns or can write, or one in a directory
 * another user can write (as ssh refuses such a configuration). A token
 * command that is flyteauth itself means flyteauth's own login (SECURITY.md).
 * The file's `flyteauth:` section takes any settings key; the environment
 * adds FLYTEAUTH_CLIENT_AUTH_METHOD, FLYTEAUTH_PRIVATE_KEY_FILE,
 * FLYTEAUTH_PRIVATE_KEY_ID, FLYTEAUTH_CERTIFICATE_FILE, and
 * FLYTEAUTH_CLIENT_ASSERTION_FILE / FLYTEAUTH_SUBJECT_TOKEN_FILE (a path: the
 * {"file": PATH} source of client_assertion / subject_token).
 */
flyteauth_status flyteauth_client_new_from_config(const char *config_path,
                                                  const char *overrides_json,
                                                  flyteauth_client **out);

/**
 * The settings a client would be created with, as JSON with each value's
 * source (file, line, environment variable), secrets masked. Same arguments
 * as flyteauth_client_new_from_config(). Free with flyteauth_string_free().
 */
flyteauth_status flyteauth_config_resolve(const char *config_path,
                                          const char *overrides_json,
                                          char **resolved_json);

#ifdef __cplusplus
}
#endif

#endif /* FLYTEAUTH_H */
