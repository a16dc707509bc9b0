package server

import (
	"net/http"
	"slices"
	"strings"

	"sxb-edu/front"
	"sxb-edu/svc"

	"sxb-edu/auiclass"
	"sxb-edu/auilive"
	"sxb-edu/console"
	"sxb-edu/dispatch"
	"sxb-edu/goclass"
	"sxb-edu/lcic"
)

// router is the one front door: every path of every front, matched in
// the order below, each through the same middleware (Server.serve). A
// hand-written match rather than http.ServeMux: the 随心播 protocol
// answers any path ending in /index.php or / exactly as given, where the
// mux would redirect unclean paths.
type router struct {
	s                              *Server
	sxb, health, metrics, notFound *mount
	goclass, goclassHealth         *mount // nil without the GO课堂 API
	auiLive, auiClass              *mount // nil without the AUI live or classroom API
	rootLogin                      string // the AUI front of the bare /login: "live", "class" or ""
	lcic                           *mount // nil without the LCIC API
	console                        *mount // nil without a console
	peer                           *mount // nil unless several servers share the database
}

func (s *Server) routes(sxb *dispatch.Server, gc *goclass.Handler, al *auilive.Handler, ac *auiclass.Handler, lc *lcic.Handler, con *console.Console) *router {
	rt := &router{s: s,
		sxb:      &mount{name: "sxb", h: sxb, fail: dispatch.Fail},
		health:   &mount{name: "health", h: http.HandlerFunc(s.healthz), fail: s.healthFail},
		metrics:  &mount{name: "metrics", h: scrape(s.Metrics.Handler()), fail: textFail},
		notFound: &mount{name: "sxb", h: http.HandlerFunc(dispatch.NotFound), fail: dispatch.Fail},
	}
	if gc != nil {
		rt.goclass = &mount{name: "goclass", h: gc, fail: goclass.Fail}
		rt.goclassHealth = &mount{name: "goclass", h: http.HandlerFunc(goclass.Empty), fail: goclass.Fail}
	}
	if al != nil {
		rt.auiLive = &mount{name: "auilive", h: al, fail: auilive.Fail}
		rt.rootLogin = "live"
	}
	if ac != nil {
		rt.auiClass = &mount{name: "auiclass", h: ac, fail: auiclass.Fail}
		if al == nil || ac.RootLogin {
			rt.rootLogin = "class"
		}
	}
	if lc != nil {
		rt.lcic = &mount{name: "lcic", h: lc, fail: lcic.Fail}
	}
	if con != nil {
		rt.console = &mount{name: "console", h: con, fail: console.Fail}
	}
	if s.peers != nil {
		rt.peer = &mount{name: "peer", h: s.peers, fail: textFail}
	}
	return rt
}

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt.s.serve(rt.match(r), w, r)
}

// match picks the front of a request.
func (rt *router) match(r *http.Request) *mount {
	p, m := r.URL.Path, r.Method
	switch {
	case p == "/healthz" && (m == http.MethodGet || m == http.MethodHead):
		return rt.health
	case p == "/metrics" && (m == http.MethodGet || m == http.MethodHead):
		return rt.metrics
	case rt.goclass != nil && (p == "/edu_room" || strings.HasPrefix(p, "/edu_room/")):
		return rt.goclass
	case rt.goclass != nil && p == "/health" && (m == http.MethodGet || m == http.MethodHead):
		return rt.goclassHealth
	case rt.goclass != nil && p == "/" && m == http.MethodHead:
		return rt.goclassHealth
	case rt.peer != nil && p == peerPath && m == http.MethodPost:
		return rt.peer
	case rt.lcic != nil && lcic.Owns(r):
		return rt.lcic
	case rt.auiLive != nil && auilive.Owns(p, rt.rootLogin == "live"):
		return rt.auiLive
	case rt.auiClass != nil && auiclass.Owns(p, rt.rootLogin == "class"):
		return rt.auiClass
	case rt.console != nil && (p == "/admin" || strings.HasPrefix(p, "/admin/") || strings.HasPrefix(p, "/playback/")):
		return rt.console
	case p == "/" || strings.HasSuffix(p, "/index.php") || strings.HasSuffix(p, "/"):
		return rt.sxb
	}
	return rt.notFound
}

// scrape serves /metrics, a routine request.
func scrape(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := front.From(r.Context())
		rec.Svc, rec.Cmd, rec.Quiet = "metrics", "scrape", true
		h.ServeHTTP(w, r)
	})
}

// ops are the operations of the mounted fronts, for the metric series.
func ops(goClass, auiLive, auiClass, lcicAPI, peer bool) []Op {
	var list []Op
	for sv, cmds := range dispatch.Routes {
		for cmd := range cmds {
			list = append(list, Op{"sxb", sv, cmd})
		}
	}
	if goClass {
		for _, cmd := range goclass.Commands() {
			list = append(list, Op{"goclass", "edu_room", cmd})
		}
		list = append(list, Op{"goclass", "health", "check"})
	}
	if auiLive {
		for _, cmd := range auilive.Commands() {
			list = append(list, Op{"auilive", "live", cmd})
		}
	}
	if auiClass {
		for _, cmd := range auiclass.Commands() {
			list = append(list, Op{"auiclass", "class", cmd})
		}
	}
	if lcicAPI {
		for _, a := range lcic.Actions() {
			list = append(list, Op{"lcic", "lcic", a})
		}
	}
	if peer {
		list = append(list, Op{"peer", "peer", "change"})
	}
	return append(list, Op{"health", "healthz", "check"}, Op{"metrics", "metrics", "scrape"},
		Op{"console", "admin", "page"})
}

// codes are the result codes whose series are made at start.
func codes() []int {
	return append(append(slices.Clone(svc.Codes), goclass.Codes...), auilive.Codes...)
}

// textFail answers a failed plain-text endpoint (/metrics).
func textFail(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "internal error", http.StatusInternalServerError)
}
