package dispatch

import (
	"net/url"
	"testing"
)

// viaParseQuery is what operation must agree with.
func viaParseQuery(raw string) op {
	q, _ := url.ParseQuery(raw)
	var o op
	if v := q["svc"]; len(v) > 0 {
		o.svc, o.namedSvc = v[len(v)-1], true
	}
	if v := q["cmd"]; len(v) > 0 {
		o.cmd, o.namedCmd = v[len(v)-1], true
	}
	return o
}

func TestOperation(t *testing.T) {
	for _, raw := range []string{
		"", "svc=live&cmd=heartbeat", "svc=live&cmd=heartbeat&svc=account", "cmd=login",
		"svc&cmd", "svc=&cmd=", "&&svc=live&&cmd=x&", "svc=a=b&cmd=c", "=live&svc",
		"svc=li%76e&cmd=heart+beat", "svc=live;cmd=x&cmd=y", "svc=%zz&cmd=ok", "SVC=live&Cmd=x",
		"svc=live&cmd=heartbeat&svc", "x=1&svc=中文&cmd=a%2Bb",
	} {
		if got, want := operation(raw), viaParseQuery(raw); got != want {
			t.Errorf("%q: got %+v, want %+v", raw, got, want)
		}
	}
}

func FuzzOperation(f *testing.F) {
	f.Add("svc=live&cmd=heartbeat")
	f.Add("svc=%41;&cmd=+")
	f.Fuzz(func(t *testing.T, raw string) {
		if got, want := operation(raw), viaParseQuery(raw); got != want {
			t.Fatalf("%q: got %+v, want %+v", raw, got, want)
		}
	})
}
