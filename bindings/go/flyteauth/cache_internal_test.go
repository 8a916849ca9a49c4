package flyteauth

// The reuse decision, with reuse_until values a server would need seconds to produce.

import (
	"math"
	"testing"
	"time"
)

func TestCopyIsKeptOnlyUntilReuseUntil(t *testing.T) {
	c, err := New(Settings{AuthType: AuthPassthrough})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	md := &Metadata{Headers: []Header{{Key: "authorization", Value: "Bearer x"}}}
	now := time.Now().Unix()

	g := c.generation.Load()
	c.remember(g, md, now)
	if c.fresh() != nil {
		t.Error("reuse_until not ahead (the library's refresh point is now): the copy must not be used")
	}
	c.remember(g, md, now+100)
	if cm := c.fresh(); cm == nil || cm.md != md || cm.m["authorization"] != "Bearer x" {
		t.Error("reuse_until 100 s ahead: the copy must be used")
	}
	c.remember(g, md, math.MaxInt64)
	if cm := c.fresh(); cm == nil || cm.deadline != time.Duration(math.MaxInt64) {
		t.Error("no refresh due (INT64_MAX): the copy must be kept until invalidated")
	}
	c.invalidate()
	if c.fresh() != nil {
		t.Error("invalidate kept the copy")
	}
	// A call that began before an invalidation cannot store what it got.
	c.remember(g, md, now+100)
	if c.fresh() != nil {
		t.Error("a stale call stored its metadata after an invalidation")
	}
	c.Close()
	c.remember(c.generation.Load(), md, now+100)
	if c.fresh() != nil {
		t.Error("a closed client served its copy")
	}
}
