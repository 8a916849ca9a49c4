package flyteauth

// The C callbacks land here. This file's preamble holds declarations only: a file
// with //export may not define C functions (the trampolines live in shim.h).

/*
#include <stdint.h>
*/
import "C"

import (
	"fmt"
	"os"
	"runtime/cgo"
	"sync/atomic"
	"time"
)

// LogLevel is the severity of a log line (flyteauth_log_level).
type LogLevel int

// The log levels of flyteauth.h.
const (
	LogDebug   LogLevel = 0
	LogInfo    LogLevel = 1
	LogWarning LogLevel = 2
	LogError   LogLevel = 3
)

func (l LogLevel) String() string {
	switch l {
	case LogDebug:
		return "debug"
	case LogInfo:
		return "info"
	case LogWarning:
		return "warning"
	case LogError:
		return "error"
	}
	return fmt.Sprintf("level(%d)", int(l))
}

// BrowserFunc opens the PKCE authorization URL for the person. Return true when
// it was shown or opened; false lets the library use its default ($BROWSER or
// xdg-open) and print the URL. Called on the goroutine running the login; it must
// not call back into the same Client.
type BrowserFunc func(url string) (handled bool)

// DevicePrompt is what to tell the person for a device login.
type DevicePrompt struct {
	VerificationURI         string
	VerificationURIComplete string // empty when the identity provider sent none
	UserCode                string
	ExpiresAt               time.Time
}

// DevicePromptFunc tells the person how to approve a device login. Called once per
// device login; it must not call back into the same Client.
type DevicePromptFunc func(DevicePrompt)

// LogFunc receives the client's log lines (never secrets), from any goroutine or
// thread, possibly concurrently.
type LogFunc func(level LogLevel, message string)

// callbacks is what the C user_data handle refers to. It does not refer to the
// Client, so an unclosed Client can still be finalized.
type callbacks struct {
	browser atomic.Pointer[BrowserFunc]
	device  atomic.Pointer[DevicePromptFunc]
	log     atomic.Pointer[LogFunc]
}

// current returns the function in a handle's slot, or false when the handle was
// deleted (a background refresh of a closed client may still log) or the slot is
// empty. Setters store only non-nil functions.
func current[F any](h C.uintptr_t, slot func(*callbacks) *atomic.Pointer[F]) (f F, ok bool) {
	cb := lookup(h)
	if cb == nil {
		return f, false
	}
	p := slot(cb).Load()
	if p == nil {
		return f, false
	}
	return *p, true
}

// lookup returns the callbacks of a handle, or nil when it was deleted.
func lookup(h C.uintptr_t) (cb *callbacks) {
	if h == 0 {
		return nil
	}
	defer func() {
		if recover() != nil {
			cb = nil
		}
	}()
	cb, _ = cgo.Handle(h).Value().(*callbacks)
	return cb
}

// guard keeps a panicking user callback from unwinding through C frames.
func guard(what string) {
	if r := recover(); r != nil {
		fmt.Fprintf(os.Stderr, "flyteauth: %s callback panicked: %v\n", what, r)
	}
}

//export faGoBrowser
func faGoBrowser(h C.uintptr_t, url *C.char) (rc C.int) {
	rc = 1
	f, ok := current(h, func(cb *callbacks) *atomic.Pointer[BrowserFunc] { return &cb.browser })
	if !ok {
		return rc
	}
	defer guard("browser")
	if f(C.GoString(url)) {
		rc = 0
	}
	return rc
}

//export faGoDevicePrompt
func faGoDevicePrompt(h C.uintptr_t, uri, uriComplete, code *C.char, expiresAt C.int64_t) {
	f, ok := current(h, func(cb *callbacks) *atomic.Pointer[DevicePromptFunc] { return &cb.device })
	if !ok {
		return
	}
	defer guard("device prompt")
	p := DevicePrompt{
		VerificationURI: C.GoString(uri),
		UserCode:        C.GoString(code),
		ExpiresAt:       unixOrZero(int64(expiresAt)),
	}
	if uriComplete != nil {
		p.VerificationURIComplete = C.GoString(uriComplete)
	}
	f(p)
}

//export faGoLog
func faGoLog(h C.uintptr_t, level C.int, message *C.char) {
	f, ok := current(h, func(cb *callbacks) *atomic.Pointer[LogFunc] { return &cb.log })
	if !ok {
		return
	}
	defer guard("log")
	f(LogLevel(level), C.GoString(message))
}
