package flyteauth

// Every call into libflyteauth goes through a static helper in shim.h that makes the
// call and copies flyteauth_error_last() in the same cgo call, so the error is read
// on the OS thread that failed without locking goroutines to threads.

/*
#cgo pkg-config: flyteauth
#include "shim.h"
*/
import "C"

import (
	"time"
	"unsafe"
)

// cerr is the error captured by a helper; toError converts and frees it.
type cerr = C.fa_err

func (e *cerr) toError(op string) error {
	status := StatusCode(e.status)
	if status == StatusOK {
		return nil // fa_capture allocates nothing on success: no cgo call to free
	}
	defer C.fa_err_free(e)
	err := &Error{Op: op, Status: status, HTTPStatus: int(e.http_status)}
	if e.has_error != 0 {
		if e.message != nil {
			err.Message = C.GoString(e.message)
		}
		if e.oauth_error != nil {
			err.OAuthError = C.GoString(e.oauth_error)
		}
		if e.oauth_error_description != nil {
			err.OAuthErrorDescription = C.GoString(e.oauth_error_description)
		}
	}
	if err.Message == "" {
		err.Message = status.String()
	}
	return err
}

// cString converts s to a C string the caller frees with C.free.
func cString(s string) *C.char { return C.CString(s) }

// freeSecret wipes and frees a C string we allocated that held a secret.
func freeSecret(p *C.char, n int) {
	if p == nil {
		return
	}
	C.memset(unsafe.Pointer(p), 0, C.size_t(n))
	C.free(unsafe.Pointer(p))
}

// copyMetadata copies md into Go memory and frees it with flyteauth_metadata_free;
// reuseUntil is until when (UTC seconds) the copy may be handed out again.
func copyMetadata(md *C.flyteauth_metadata) (out *Metadata, reuseUntil int64) {
	if md == nil {
		return nil, 0
	}
	defer C.flyteauth_metadata_free(md)
	// The struct is read in Go (no cgo call per field): this is the per-call path.
	headers := unsafe.Slice(md.headers, int(md.count))
	out = &Metadata{Headers: make([]Header, len(headers))}
	for i, h := range headers {
		out.Headers[i] = Header{Key: C.GoString(h.key), Value: C.GoString(h.value)}
	}
	out.Expiry = unixOrZero(int64(md.expires_at))
	// reuse_until is of age 0 (flyteauth.h, "Structs that grow"): always there.
	return out, int64(md.reuse_until)
}

// takeString copies s and frees it with flyteauth_string_free.
func takeString(s *C.char) string {
	if s == nil {
		return ""
	}
	defer C.flyteauth_string_free(s)
	return C.GoString(s)
}

func unixOrZero(sec int64) time.Time {
	if sec == 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0)
}

// Version is the loaded library's version ("MAJOR.MINOR.PATCH").
func Version() string { return C.GoString(C.flyteauth_version()) }

// VersionNumber is the loaded library's version as 0xMMmmpp.
func VersionNumber() uint { return uint(C.flyteauth_version_number()) }

// HeaderVersionNumber is the version of flyteauth.h this package was compiled against.
const HeaderVersionNumber = C.FLYTEAUTH_VERSION_NUMBER

func strerror(s StatusCode) string { return C.GoString(C.flyteauth_strerror(C.flyteauth_status(s))) }
