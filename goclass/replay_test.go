package goclass

import (
	"crypto/sha256"
	"strconv"
	"testing"
	"time"
)

// The repeated-request cache is bounded in bytes whatever the answers
// weigh, and expired answers make room again.
func TestReplaysBoundedInBytes(t *testing.T) {
	t.Parallel()
	var c replays
	c.entries = map[replayKey]replay{}
	now := time.Unix(1_800_000_000, 0)
	answer := make([]byte, 64<<10)
	for i := range 1000 { // 64 MB offered
		c.put(sha256.Sum256([]byte(strconv.Itoa(i))), answer, now)
		if c.bytes > replayBytes {
			t.Fatalf("after %d answers the cache holds %d bytes (bound %d)", i+1, c.bytes, replayBytes)
		}
	}
	if c.bytes < replayBytes/2 {
		t.Fatalf("the cache kept only %d bytes", c.bytes)
	}
	if _, ok := c.get(sha256.Sum256([]byte("0")), now); !ok {
		t.Fatal("the first answer is gone before its minute")
	}
	// A minute later everything expired: a new answer is kept.
	later := now.Add(replayLife + time.Second)
	k := sha256.Sum256([]byte("new"))
	c.put(k, answer, later)
	if _, ok := c.get(k, later); !ok || c.bytes != len(answer)+replayEntry {
		t.Fatalf("after expiry: kept %v, %d bytes", ok, c.bytes)
	}
}
