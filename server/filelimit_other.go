//go:build !unix

package server

// raiseFileLimit: no open-file limit is known here.
func raiseFileLimit() (uint64, error) { return 0, nil }
