package store

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
)

// A SQLite database lives in a file the server does not own: someone can
// delete it or move another file over it while the server runs. SQLite
// goes on writing to the open, now unreachable, file and every write
// after that is lost on the next start. The checkpointer's tick compares
// the path's identity with the file opened (within a second); once they
// differ the store is lost: writes and Ping fail with ErrLost until the
// server is restarted on a database the operator chose.

// ErrLost is the answer of every write once the database file was
// removed or replaced under the server.
var ErrLost = errors.New("store: the database file was removed or replaced while the server ran: writes are refused; restart the server once the right file is back")

// fileID is what names a file whatever its path: its device and inode.
type fileID struct{ dev, ino uint64 }

func identify(path string) (fileID, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileID{}, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, nil // no inode on this system: the path check alone
	}
	return fileID{dev: uint64(st.Dev), ino: st.Ino}, nil
}

// watch is the lost state of a SQLite store.
type watch struct {
	path string
	id   fileID
	lost atomic.Pointer[error]
}

// check compares the path with the opened file; it reports a loss once.
func (w *watch) check() (lost error, now bool) {
	if p := w.lost.Load(); p != nil {
		return *p, false
	}
	id, err := identify(w.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		err = fmt.Errorf("%w (%s is gone)", ErrLost, w.path)
	case err != nil:
		return nil, false // unreadable for a moment (permissions, EIO): not proof
	case id != w.id:
		err = fmt.Errorf("%w (%s is another file now)", ErrLost, w.path)
	default:
		return nil, false
	}
	w.lost.Store(&err)
	return err, true
}

// Lost is ErrLost (with what happened) once the database file is gone or
// replaced, else nil.
func (s *Store) Lost() error {
	if s.watch == nil {
		return nil
	}
	if p := s.watch.lost.Load(); p != nil {
		return *p
	}
	return nil
}
