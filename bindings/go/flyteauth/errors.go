package flyteauth

import (
	"errors"
	"fmt"
	"strings"
)

// StatusCode is a flyteauth_status: the result of a call into the library.
// Values are stable; unknown values are to be treated as StatusInternal.
type StatusCode int

// The statuses of flyteauth.h.
const (
	StatusOK              StatusCode = 0
	StatusInvalidArgument StatusCode = 1
	StatusConfig          StatusCode = 2
	StatusNetwork         StatusCode = 3
	StatusTimeout         StatusCode = 4
	StatusProtocol        StatusCode = 5
	StatusOAuth           StatusCode = 6
	StatusLoginRequired   StatusCode = 7
	StatusCommand         StatusCode = 8
	StatusCancelled       StatusCode = 9
	StatusCache           StatusCode = 10
	StatusUnsupported     StatusCode = 11
	StatusForked          StatusCode = 12
	StatusInternal        StatusCode = 13
)

// String is the library's short description ("network error", ...).
func (s StatusCode) String() string { return strerror(s) }

// Sentinel errors, one per status, for errors.Is:
//
//	if errors.Is(err, flyteauth.ErrLoginRequired) { ... }
//
// Use errors.As with *Error for the details.
var (
	ErrInvalidArgument error = &sentinel{StatusInvalidArgument}
	ErrConfig          error = &sentinel{StatusConfig}
	ErrNetwork         error = &sentinel{StatusNetwork}
	ErrTimeout         error = &sentinel{StatusTimeout}
	ErrProtocol        error = &sentinel{StatusProtocol}
	ErrOAuth           error = &sentinel{StatusOAuth}
	ErrLoginRequired   error = &sentinel{StatusLoginRequired}
	ErrCommand         error = &sentinel{StatusCommand}
	ErrCancelled       error = &sentinel{StatusCancelled}
	ErrCache           error = &sentinel{StatusCache}
	ErrUnsupported     error = &sentinel{StatusUnsupported}
	ErrForked          error = &sentinel{StatusForked}
	ErrInternal        error = &sentinel{StatusInternal}
)

// ErrClosed is returned by calls on a Client after Close.
var ErrClosed = errors.New("flyteauth: client is closed")

type sentinel struct{ status StatusCode }

func (s *sentinel) Error() string { return "flyteauth: " + s.status.String() }

// Error is a failure reported by libflyteauth (flyteauth_error).
type Error struct {
	// Op is the library function that failed (e.g. "flyteauth_client_metadata").
	Op string
	// Status is the status the call returned.
	Status StatusCode
	// Message names the setting, URL, command or key involved; never a secret.
	Message string
	// OAuthError is the identity provider's OAuth2 `error` (e.g. "invalid_grant").
	OAuthError string
	// OAuthErrorDescription is the identity provider's `error_description`.
	OAuthErrorDescription string
	// HTTPStatus is the HTTP status of the failing response, or 0.
	HTTPStatus int

	cause error // e.g. the context error when a Login was cancelled by its context
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("flyteauth: ")
	b.WriteString(e.Status.String())
	if e.Message != "" && e.Message != e.Status.String() {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.OAuthError != "" {
		fmt.Fprintf(&b, " (%s", e.OAuthError)
		if e.OAuthErrorDescription != "" {
			fmt.Fprintf(&b, ": %s", e.OAuthErrorDescription)
		}
		b.WriteString(")")
	}
	if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, " [HTTP %d]", e.HTTPStatus)
	}
	if e.cause != nil {
		fmt.Fprintf(&b, ": %v", e.cause)
	}
	return b.String()
}

// Is reports whether target is the sentinel for e's status (ErrNetwork, ...).
// Unknown statuses match ErrInternal.
func (e *Error) Is(target error) bool {
	s, ok := target.(*sentinel)
	if !ok {
		return false
	}
	status := e.Status
	if status < StatusInvalidArgument || status > StatusInternal {
		status = StatusInternal
	}
	return s.status == status
}

// Unwrap returns the underlying cause, if any (a context error for a Login stopped
// by its context), so errors.Is(err, context.Canceled) works.
func (e *Error) Unwrap() error { return e.cause }
