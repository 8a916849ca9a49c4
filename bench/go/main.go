// Command flyteauth-bench-go is the Go side of bench/run.sh, using the Go binding
// (bindings/go). Modes:
//
//	flyteauth-bench-go first SETTINGS_JSON
//	    process start to first header (case 1): prints "<key> <value length> <ms since BENCH_T0_NS> [fingerprint]"
//	flyteauth-bench-go percall SETTINGS_JSON SECONDS
//	    per-call cost of Client.Metadata and Client.Headers with a warm cache (case 3): one JSON line
//
// The token is never printed: BENCH_FP=1 adds a 64-bit FNV-1a fingerprint of the header value.
package main

/*
#include <time.h>
static long long mono_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
*/
import "C"

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/flyteorg/libflyteauth/bindings/go/flyteauth"
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
	fmt.Fprintf(os.Stderr, "flyteauth-bench-go: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 3 {
		die("usage: flyteauth-bench-go first|percall SETTINGS_JSON [SECONDS]")
	}
	c, err := flyteauth.New(os.Args[2])
	if err != nil {
		die("client: %v", err)
	}
	defer c.Close()
	ctx := context.Background()
	switch os.Args[1] {
	case "first":
		md, err := c.Headers(ctx)
		if err != nil {
			die("headers: %v", err)
		}
		got := int64(C.mono_ns())
		ms := -1.0
		if t0, err := strconv.ParseInt(os.Getenv("BENCH_T0_NS"), 10, 64); err == nil {
			ms = float64(got-t0) / 1e6
		}
		h := md.Headers[0]
		if os.Getenv("BENCH_FP") != "" {
			fmt.Printf("%s %d %.3f %016x\n", h.Key, len(h.Value), ms, fnv1a(h.Value))
		} else {
			fmt.Printf("%s %d %.3f\n", h.Key, len(h.Value), ms)
		}
	case "percall":
		seconds := 1.0
		if len(os.Args) > 3 {
			seconds, _ = strconv.ParseFloat(os.Args[3], 64)
		}
		if _, err := c.Metadata(ctx); err != nil {
			die("metadata: %v", err)
		}
		measure := func(f func() error) float64 {
			// Warm up, then batches of 1000 calls until the time is up.
			for i := 0; i < 10000; i++ {
				if err := f(); err != nil {
					die("call: %v", err)
				}
			}
			start := time.Now()
			deadline := start.Add(time.Duration(seconds * float64(time.Second)))
			calls := 0
			for time.Now().Before(deadline) {
				for i := 0; i < 1000; i++ {
					if err := f(); err != nil {
						die("call: %v", err)
					}
				}
				calls += 1000
			}
			return float64(time.Since(start).Nanoseconds()) / float64(calls)
		}
		metadataNs := measure(func() error { _, err := c.Metadata(ctx); return err })
		headersNs := measure(func() error { _, err := c.Headers(ctx); return err })
		fmt.Printf("{\"impl\":\"binding\",\"metadata_ns_per_call\":%.1f,\"headers_ns_per_call\":%.1f}\n", metadataNs, headersNs)
	default:
		die("unknown mode %q", os.Args[1])
	}
}
