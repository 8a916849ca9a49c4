"""Playing the person at the browser, without a browser.

glewlwyd's login page is a single-page app over a JSON API, so a test can log in,
consent and continue with urllib and a cookie jar. Every request has a timeout.
Nothing here prints codes or tokens.
"""
import http.cookiejar
import urllib.parse
import urllib.request

from . import glewlwyd as _glw
from . import netutil

DEFAULT_SCOPE = "openid all offline"


class UserAgentError(RuntimeError):
    pass


def _base(url):
    p = urllib.parse.urlsplit(url)
    return "%s://%s" % (p.scheme, p.netloc)


def _with_continue(url):
    return url + ("&" if "?" in url else "?") + "g_continue"


class Browser:
    """A cookie jar plus the glewlwyd login API. One Browser = one browser profile."""

    def __init__(self, idp_url, timeout=10.0, api_prefix="/api"):
        self.idp_url = idp_url.rstrip("/")
        self.api = self.idp_url + api_prefix
        self.timeout = timeout
        self.jar = http.cookiejar.CookieJar()
        self.opener = netutil.opener(urllib.request.HTTPCookieProcessor(self.jar), netutil.NoRedirect())

    def _call(self, method, url, body=None, ok=(200,)):
        status, headers, payload = netutil.request(self.opener, method, url, body=body, timeout=self.timeout)
        if ok is not None and status not in ok:
            # Only the path is reported: the query may hold a code or state.
            raise UserAgentError("%s %s: HTTP %d %s" % (
                method, urllib.parse.urlsplit(url).path, status, payload[:200].decode(errors="replace")))
        return status, headers, payload

    def login(self, username=_glw.USERNAME, password=_glw.PASSWORD):
        self._call("POST", self.api + "/auth/", {"username": username, "password": password})

    def grant(self, client_id, scope=DEFAULT_SCOPE):
        # glewlwyd wants the scope list space-separated; commas give 401.
        self._call("PUT", self.api + "/auth/grant/" + urllib.parse.quote(client_id, safe=""),
                   {"scope": scope})

    def authorize_redirect(self, authorize_url):
        """GET authorize_url + g_continue and return the redirect target (client's redirect URI)."""
        status, headers, _ = self._call("GET", _with_continue(authorize_url), ok=(302, 303))
        location = headers.get("Location")
        if not location:
            raise UserAgentError("authorize: %d without Location" % status)
        return urllib.parse.urljoin(authorize_url, location)


def _client_id_of(authorize_url):
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(authorize_url).query)
    try:
        return q["client_id"][0]
    except (KeyError, IndexError):
        raise UserAgentError("authorize URL has no client_id") from None


def deliver(redirect_url, timeout=10.0):
    """GET the client's loopback redirect URI (the library under test listens there).
    Returns (status, body_text). Uses a fresh opener: no IdP cookies go to the client."""
    status, _, body = netutil.request(netutil.opener(netutil.NoRedirect()), "GET", redirect_url,
                                      timeout=timeout)
    return status, body.decode(errors="replace")


def pkce_redirect(authorize_url, username=_glw.USERNAME, password=_glw.PASSWORD,
                  consent_scope=DEFAULT_SCOPE, timeout=10.0, idp_url=None):
    """Log in and consent; return the redirect URL (with code and state) without following it."""
    b = Browser(idp_url or _base(authorize_url), timeout=timeout)
    # First visit, as a browser would: glewlwyd answers 302 to login.html (not followed).
    b._call("GET", authorize_url, ok=None)
    b.login(username, password)
    b.grant(_client_id_of(authorize_url), consent_scope)
    return b.authorize_redirect(authorize_url)


def approve_pkce(authorize_url, username=_glw.USERNAME, password=_glw.PASSWORD,
                 consent_scope=DEFAULT_SCOPE, timeout=10.0, idp_url=None):
    """Do what the person does in the browser for an authorization-code login, then
    make the GET to the loopback redirect URI. Returns (status, body) of that GET."""
    redirect = pkce_redirect(authorize_url, username, password, consent_scope, timeout, idp_url)
    return deliver(redirect, timeout=timeout)


def deny_pkce(authorize_url, error="access_denied", timeout=10.0):
    """The person refuses.

    glewlwyd 2.7.5 has no deny path: its login app only offers "continue"
    (the consent is PUT /api/auth/grant and there is nothing that sends the
    client an error). So this is SIMULATED, the way a standard IdP would
    answer: GET redirect_uri?error=access_denied&state=STATE to the client's
    loopback listener. Returns (status, body) of that GET.
    """
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(authorize_url).query)
    try:
        redirect_uri = q["redirect_uri"][0]
    except (KeyError, IndexError):
        raise UserAgentError("authorize URL has no redirect_uri") from None
    params = {"error": error, "error_description": "The user denied the request"}
    if "state" in q:
        params["state"] = q["state"][0]
    sep = "&" if "?" in redirect_uri else "?"
    return deliver(redirect_uri + sep + urllib.parse.urlencode(params), timeout=timeout)


def approve_device(user_code, idp_url, client_id=_glw.PUBLIC_CLIENT_ID, username=_glw.USERNAME,
                   password=_glw.PASSWORD, consent_scope=DEFAULT_SCOPE, timeout=10.0):
    """Approve a device login: log in, consent, GET /api/oidc/device?code=USER_CODE&g_continue.

    idp_url: the IdP base URL, or any URL on it (e.g. the verification_uri).
    Returns the final Location glewlwyd redirects to (login.html?...prompt=deviceComplete);
    raises UserAgentError when glewlwyd reports the code as invalid (prompt=deviceCodeError).
    """
    b = Browser(_base(idp_url), timeout=timeout)
    b.login(username, password)
    b.grant(client_id, consent_scope)
    url = "%s/oidc/device?%s&g_continue" % (b.api, urllib.parse.urlencode({"code": user_code}))
    status, headers, _ = b._call("GET", url, ok=(200, 302, 303))
    location = headers.get("Location", "")
    if "prompt=deviceComplete" not in location and status != 200:
        raise UserAgentError("device approval did not complete (HTTP %d, %s)" % (
            status, urllib.parse.urlsplit(location).query or "no location"))
    return location
