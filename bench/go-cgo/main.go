// Command flyteauth-bench-cgo is the fallback Go side of bench/run.sh, used only when
// the Go binding (bindings/go) does not build: a tiny cgo program calling the C ABI
// directly (#cgo pkg-config: flyteauth). Same modes and output as bench/go:
//
//	flyteauth-bench-cgo first SETTINGS_JSON
//	flyteauth-bench-cgo percall SETTINGS_JSON SECONDS
package main

/*
#cgo pkg-config: flyteauth
#include <flyteauth.h>
#include <stdlib.h>
#include <time.h>
static long long mono_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
static const char *last_message(void) {
	const flyteauth_error *e = flyteauth_error_last();
	return e ? e->message : "unknown error";
}
static const flyteauth_header *header_at(flyteauth_metadata *md, size_t i) { return &md->headers[i]; }
*/
import "C"

import (
	"fmt"
	"os"
	"strconv"
	"time"
	"unsafe"
)

func fnv1a(s string) uint64 {
	h := uint64(1469598103934665603)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

func die(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "flyteauth-bench-cgo: "+format+"\n", args...)
	os.Exit(1)
}

// metadata is what a minimal binding would do per call: one cgo call, copy the
// headers into Go strings, free the C metadata, return a map.
func metadata(c *C.flyteauth_client) (map[string]string, error) {
	var md *C.flyteauth_metadata
	if C.flyteauth_client_metadata(c, &md) != C.FLYTEAUTH_OK {
		return nil, fmt.Errorf("%s", C.GoString(C.last_message()))
	}
	out := make(map[string]string, int(md.count))
	for i := 0; i < int(md.count); i++ {
		h := C.header_at(md, C.size_t(i))
		out[C.GoString(h.key)] = C.GoString(h.value)
	}
	C.flyteauth_metadata_free(md)
	return out, nil
}

func main() {
	if len(os.Args) < 3 {
		die("usage: flyteauth-bench-cgo first|percall SETTINGS_JSON [SECONDS]")
	}
	cs := C.CString(os.Args[2])
	var c *C.flyteauth_client
	st := C.flyteauth_client_new(cs, &c)
	C.free(unsafe.Pointer(cs))
	if st != C.FLYTEAUTH_OK {
		die("client: %s", C.GoString(C.last_message()))
	}
	defer C.flyteauth_client_free(c)
	switch os.Args[1] {
	case "first":
		var md *C.flyteauth_metadata
		if C.flyteauth_client_metadata(c, &md) != C.FLYTEAUTH_OK {
			die("metadata: %s", C.GoString(C.last_message()))
		}
		got := int64(C.mono_ns())
		ms := -1.0
		if t0, err := strconv.ParseInt(os.Getenv("BENCH_T0_NS"), 10, 64); err == nil {
			ms = float64(got-t0) / 1e6
		}
		h := C.header_at(md, 0)
		key, value := C.GoString(h.key), C.GoString(h.value)
		C.flyteauth_metadata_free(md)
		if os.Getenv("BENCH_FP") != "" {
			fmt.Printf("%s %d %.3f %016x\n", key, len(value), ms, fnv1a(value))
		} else {
			fmt.Printf("%s %d %.3f\n", key, len(value), ms)
		}
	case "percall":
		seconds := 1.0
		if len(os.Args) > 3 {
			seconds, _ = strconv.ParseFloat(os.Args[3], 64)
		}
		for i := 0; i < 10000; i++ {
			if _, err := metadata(c); err != nil {
				die("metadata: %v", err)
			}
		}
		start := time.Now()
		deadline := start.Add(time.Duration(seconds * float64(time.Second)))
		calls := 0
		for time.Now().Before(deadline) {
			for i := 0; i < 1000; i++ {
				if _, err := metadata(c); err != nil {
					die("metadata: %v", err)
				}
			}
			calls += 1000
		}
		ns := float64(time.Since(start).Nanoseconds()) / float64(calls)
		fmt.Printf("{\"impl\":\"cgo-fallback\",\"metadata_ns_per_call\":%.1f,\"headers_ns_per_call\":null}\n", ns)
	default:
		die("unknown mode %q", os.Args[1])
	}
}
