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
	writeStatus(w, http.StatusOK, "ok")
}

func (s *Server) healthFail(w http.ResponseWriter, r *http.Request) {
	writeStatus(w, http.StatusInternalServerError, "internal error")
}

func writeStatus(w http.ResponseWriter, status int, text string) {
	b, _ := json.Marshal(map[string]string{"status": text})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}
