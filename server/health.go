package server

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"sxb-edu/front"
)

// healthz answers 200 when the database answers a write, else 503. The
// cause is logged, never sent.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	rec := front.From(r.Context())
	rec.Svc, rec.Cmd = "healthz", "check"
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	if err := s.Store.Ping(ctx); err != nil {
		s.Log.Error("healthz: database unavailable", "err", err)
		writeStatus(w, http.StatusServiceUnavailable, "database unavailable")
		return
	}
	rec.Quiet = true
	b := map[string]string{"status": "ok"}
	if s.Store.SeveralServers() {
		// Several servers: whether this one uses its caches (it holds
		// its lease and every other server lists it) or reads through.
		b["caches"] = "off"
		if s.Store.Caching() {
			b["caches"] = "on"
		}
	}
	writeJSON(w, http.StatusOK, b)
}

func (s *Server) healthFail(w http.ResponseWriter, r *http.Request) {
	writeStatus(w, http.StatusInternalServerError, "internal error")
}

func writeStatus(w http.ResponseWriter, status int, text string) {
	writeJSON(w, status, map[string]string{"status": text})
}

func writeJSON(w http.ResponseWriter, status int, v map[string]string) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}
