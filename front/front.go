// Package front is what every protocol front shares with the server that
// mounts it: the record of one request, which the server's middleware
// fills with the client's address, then logs and counts once the front
// has said what the request came to. It imports nothing of the project,
// so a front never depends on the server or on another front.
package front

import (
	"context"
	"time"
)

// The request metrics' names, read by the console's overview.
const (
	MetricRequests = "sxb_requests_total"
	MetricDuration = "sxb_request_duration_seconds"
	MetricFailures = "sxb_request_failures_total"
)

// Record is what one request came to.
type Record struct {
	Front    string // the front that answered: sxb, goclass, console, metrics, health
	Svc, Cmd string // the operation in the front's own words (index.php's svc and cmd)
	Status   int    // the HTTP status
	Code     int    // the front's result code (errorCode, ret.code); 0 is success
	Failed   bool   // a fault of the server (90000 and its kin): logged as an error
	Quiet    bool   // a routine success (heartbeat, scrape): logged at Debug
	UserID   string // who, when the front knows
	Addr     string // the client's address (set by the server before the front runs)
	Duration time.Duration
	Err      error // the cause of a failure, logged, never sent
}

type key struct{}

// Context is a request's context carrying its record. The server embeds
// one in its per-request allocation (context.WithValue would be another).
type Context struct {
	context.Context
	Rec *Record
}

// Value answers the record for From; anything else from the parent.
func (c *Context) Value(k any) any {
	if k == (key{}) {
		return c.Rec
	}
	return c.Context.Value(k)
}

// With returns ctx carrying rec.
func With(ctx context.Context, rec *Record) context.Context {
	return &Context{Context: ctx, Rec: rec}
}

// From returns the request's record; a front served without the server's
// middleware (a unit test) gets a scratch record.
func From(ctx context.Context) *Record {
	if rec, ok := ctx.Value(key{}).(*Record); ok {
		return rec
	}
	return &Record{}
}
