package flyteauth

import (
	"fmt"
	"io"
	"net/http"
)

// Transport is an http.RoundTripper that adds the client's headers to each
// request and, when the server answers 401 Unauthorized, tells the client which
// token was rejected (Client.Refresh) and resends the request once with the
// fresh headers. The request is resent only when its body can be replayed: no
// body, or req.GetBody set (http.NewRequest sets it for bytes.Buffer,
// bytes.Reader and strings.Reader bodies). Otherwise the 401 response is
// returned as is (after the refresh, so the next request carries a new token).
//
// When the refresh fails (for example ErrLoginRequired), RoundTrip returns that
// error and closes the 401 response.
type Transport struct {
	// Source provides the headers. Required.
	Source *Client
	// Base sends the requests; nil means http.DefaultTransport.
	Base http.RoundTripper
}

// NewTransport returns a Transport adding c's headers over base (nil: the default).
func NewTransport(c *Client, base http.RoundTripper) *Transport {
	return &Transport{Source: c, Base: base}
}

// HTTPClient returns an *http.Client whose transport adds c's headers over base.
func (c *Client) HTTPClient(base http.RoundTripper) *http.Client {
	return &http.Client{Transport: NewTransport(c, base)}
}

func (t *Transport) base() http.RoundTripper {
	if t.Base != nil {
		return t.Base
	}
	return http.DefaultTransport
}

// drainLimit bounds how much of a 401 body is read so the connection can be reused.
const drainLimit = 64 << 10

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	closeBody := func() {
		if req.Body != nil {
			req.Body.Close()
		}
	}
	if t.Source == nil {
		closeBody()
		return nil, fmt.Errorf("flyteauth: Transport.Source is nil")
	}
	md, err := t.Source.Headers(req.Context())
	if err != nil {
		closeBody()
		return nil, err
	}
	first := withHeaders(req, md)
	resp, err := t.base().RoundTrip(first)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}

	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	var body io.ReadCloser
	if replayable && req.Body != nil && req.Body != http.NoBody {
		if body, err = req.GetBody(); err != nil {
			replayable = false
		}
	}
	fresh, rerr := t.Source.RefreshHeaders(md.Authorization().Value)
	if rerr != nil {
		discard(resp)
		if body != nil {
			body.Close()
		}
		return nil, fmt.Errorf("flyteauth: %s answered 401 and the refresh failed: %w", req.URL.Redacted(), rerr)
	}
	if !replayable {
		return resp, nil
	}
	discard(resp)
	second := withHeaders(req, fresh)
	if body != nil {
		second.Body = body
	}
	return t.base().RoundTrip(second)
}

// withHeaders returns a copy of req carrying md's headers (req is not modified).
func withHeaders(req *http.Request, md *Metadata) *http.Request {
	r := req.Clone(req.Context())
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	for _, h := range md.Headers {
		r.Header.Set(h.Key, h.Value)
	}
	return r
}

func discard(resp *http.Response) {
	if resp == nil || resp.Body == nil {
		return
	}
	_, _ = io.CopyN(io.Discard, resp.Body, drainLimit)
	resp.Body.Close()
}
