package store

import (
	"context"
	"sync"
	"time"
)

// sessionReads gathers the first sights of tokens (a server's first request
// of each user, ten thousand of them at the top of the hour, and twice that
// with two servers): tokens asked for while the reads are busy wait and go
// together in the next read, one query for up to sessionBatchSize of them. A
// batch is taken off the queue before its query starts, so every token is
// read after it was asked for.
type sessionReads struct {
	mu      sync.Mutex
	running int             // reads on their way
	queue   []*sessionBatch // waiting, oldest first
	reads   int64           // batches read so far
	taken   int64           // tokens in them
}

type sessionBatch struct {
	tokens []string
	found  map[string]*Session // by the token asked for
	err    error
	done   chan struct{}
}

const (
	sessionBatchSize    = 200 // tokens of one read
	sessionReadsAtOnce  = 4   // reads on their way at once (of the pool's 32)
	sessionReadDeadline = 10 * time.Second
)

// readSessions finds the sessions of tokens asked for together; a token
// missing from the map has no exact match (see SessionByToken).
func (s *Store) readSessions(ctx context.Context, token string) (*sessionBatch, error) {
	q := &s.sessReads
	q.mu.Lock()
	var b *sessionBatch
	if n := len(q.queue); n > 0 && len(q.queue[n-1].tokens) < sessionBatchSize {
		b = q.queue[n-1]
	} else {
		b = &sessionBatch{done: make(chan struct{})}
		q.queue = append(q.queue, b)
	}
	b.tokens = append(b.tokens, token)
	if q.running < sessionReadsAtOnce {
		q.running++
		go s.drainSessionReads()
	}
	q.mu.Unlock()
	select {
	case <-b.done:
		return b, b.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// drainSessionReads runs waiting batches until none wait. Its reads outlive
// any one request's deadline: others wait for the same batch.
func (s *Store) drainSessionReads() {
	q := &s.sessReads
	for {
		q.mu.Lock()
		if len(q.queue) == 0 {
			q.running--
			q.mu.Unlock()
			return
		}
		b := q.queue[0]
		q.queue = q.queue[1:]
		q.reads++
		q.taken += int64(len(b.tokens))
		gen := s.sessGen.Load() // before the read (see keepSession)
		q.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), sessionReadDeadline)
		b.found, b.err = s.querySessions(ctx, b.tokens, gen)
		cancel()
		close(b.done)
	}
}

// sessionListLen is the length a list of n tokens is padded to: 1, 4,
// 16, 64 or sessionBatchSize.
func sessionListLen(n int) int {
	l := 1
	for l < n && l < sessionBatchSize {
		l = min(4*l, sessionBatchSize)
	}
	return l
}

// querySessions reads the accounts holding tokens and keeps what no login
// or logout overtook since gen was read.
func (s *Store) querySessions(ctx context.Context, tokens []string, gen int64) (map[string]*Session, error) {
	// The list is padded with its last token to one of a few lengths, so
	// that a few statement texts serve every batch (compiled once each).
	n := sessionListLen(len(tokens))
	args := make([]any, n)
	for i := range args {
		args[i] = tokens[min(i, len(tokens)-1)]
	}
	rows, err := s.r.QueryContext(ctx, "SELECT "+sessionCols+", last_request_time, token FROM t_account WHERE token IN ("+
		placeholders(n)+")", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	read := make(map[string]*Session, len(tokens))
	for rows.Next() {
		se := &Session{}
		var last int64
		if err := rows.Scan(&se.Uin, &se.UID, &se.AppID, &se.Role, &last, &se.Token); err != nil {
			return nil, err
		}
		se.lastRequest.Store(last)
		se.flushed.Store(last)
		read[se.Token] = se
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	found := make(map[string]*Session, len(read))
	s.sessMu.Lock()
	defer s.sessMu.Unlock()
	for _, t := range tokens {
		se, ok := read[t]
		if !ok {
			continue
		}
		found[t] = s.keepSession(se, gen)
	}
	return found, nil
}

// keepSession caches se, read when the login generation was gen, unless a
// login or logout committed since (a replaced token is never cached); it
// returns the session to use. The caller holds sessMu.
func (s *Store) keepSession(se *Session, gen int64) *Session {
	if kept, ok := s.sessions.Load(se.Token); ok {
		// Without the caches, the database just confirmed it: the kept
		// session gathers the token's activity (see Touch).
		return kept
	}
	if s.sessGen.Load() == gen {
		if old, ok := s.sessUins[se.Uin]; ok && old != se.Token {
			s.sessions.Delete(old) // replaced meanwhile: one token per account
		}
		if s.sessUins == nil {
			s.sessUins = make(map[int64]string)
		}
		s.sessUins[se.Uin] = se.Token
		s.sessions.Store(se.Token, se)
	}
	return se
}

// warmChunk is how many warmed sessions are kept under one hold of sessMu.
const warmChunk = 1000

// WarmSessions reads, at a server's start, the sessions of the tokens used
// since since (Unix seconds), the latest first, up to limit: a restarted
// server found a whole school's tokens one first sight at a time at the top
// of the hour, each a read of its own (BENCHMARKS.md). Sessions are kept as
// a first sight keeps them (a login or logout meanwhile wins). Not on
// MySQL, whose caches wait for the server's lease.
func (s *Store) WarmSessions(ctx context.Context, since int64, limit int) (int, error) {
	if s.d.shared || limit <= 0 {
		return 0, nil
	}
	gen := s.sessGen.Load() // before the read (see keepSession)
	rows, err := s.r.QueryContext(ctx, "SELECT "+sessionCols+", last_request_time, token FROM t_account"+
		" WHERE token IS NOT NULL AND token <> '' AND last_request_time >= ? ORDER BY last_request_time DESC LIMIT ?", since, limit)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var read []*Session
	for rows.Next() {
		se := &Session{}
		var last int64
		if err := rows.Scan(&se.Uin, &se.UID, &se.AppID, &se.Role, &last, &se.Token); err != nil {
			return 0, err
		}
		se.lastRequest.Store(last)
		se.flushed.Store(last)
		read = append(read, se)
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := len(read)
	for len(read) > 0 {
		chunk := read[:min(warmChunk, len(read))]
		read = read[len(chunk):]
		s.sessMu.Lock()
		for _, se := range chunk {
			s.keepSession(se, gen)
		}
		s.sessMu.Unlock()
	}
	return n, nil
}
