package server

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestDeadlineCtx(t *testing.T) {
	t.Run("its deadline ends it", func(t *testing.T) {
		at := time.Now().Add(30 * time.Millisecond)
		c := &deadlineCtx{Context: context.Background(), at: at}
		if d, ok := c.Deadline(); !ok || !d.Equal(at) {
			t.Fatalf("Deadline() = %v, %v", d, ok)
		}
		child, cancel := context.WithCancel(c)
		defer cancel()
		if c.Err() != nil {
			t.Fatal("ended early")
		}
		select {
		case <-c.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("not ended at its deadline")
		}
		if !errors.Is(c.Err(), context.DeadlineExceeded) || time.Now().Before(at) {
			t.Fatalf("Err() = %v at %v, deadline %v", c.Err(), time.Now(), at)
		}
		<-child.Done() // a derived context ends with it
	})
	t.Run("the answer ends it", func(t *testing.T) {
		c := &deadlineCtx{Context: context.Background(), at: time.Now().Add(time.Hour)}
		c.end()
		if !errors.Is(c.Err(), context.Canceled) {
			t.Fatalf("Err() after the answer = %v", c.Err())
		}
		waiting := &deadlineCtx{Context: context.Background(), at: time.Now().Add(time.Hour)}
		done := waiting.Done()
		waiting.end()
		<-done
	})
	t.Run("its parent ends it", func(t *testing.T) {
		parent, cancel := context.WithCancel(context.Background())
		c := &deadlineCtx{Context: parent, at: time.Now().Add(time.Hour)}
		cancel()
		if !errors.Is(c.Err(), context.Canceled) {
			t.Fatalf("Err() = %v", c.Err())
		}
	})
	t.Run("no timer until it is waited on", func(t *testing.T) {
		c := &deadlineCtx{Context: context.Background(), at: time.Now().Add(time.Hour)}
		_, _ = c.Deadline()
		_ = c.Value("x")
		if c.timed != nil {
			t.Fatal("a timer was made for a context nobody waited on")
		}
	})
}
