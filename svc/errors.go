package svc

import "fmt"

// Error codes of the protocol (PROTOCOL §4).
const (
	OK              = 0
	ErrInvalidReq   = 10001
	ErrReqJSON      = 10002
	ErrReqData      = 10003
	ErrUserExist    = 10004
	ErrUserNotExist = 10005
	ErrPassword     = 10006
	ErrRepeatLogout = 10008
	ErrTokenExpire  = 10009
	ErrRoomNotExist = 10100
	ErrNoPrivilege  = 10101
	ErrRoomState    = 10102
	ErrSendIM       = 10103
	ErrRepeatBind   = 10104
	ErrNotBound     = 10105
	ErrRepeatExit   = 10107
	ErrServer       = 90000
)

// Error is a coded answer: errorCode and errorInfo of the envelope.
// Data, when set, is sent as the envelope's data even on failure.
type Error struct {
	Code  int
	Info  string
	Data  any
	cause error // logged, never sent
}

func (e *Error) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("%d %s: %v", e.Code, e.Info, e.cause)
	}
	return fmt.Sprintf("%d %s", e.Code, e.Info)
}

func (e *Error) Unwrap() error { return e.cause }

// E makes a coded error.
func E(code int, info string) *Error { return &Error{Code: code, Info: info} }

// Forbidden is returned by a callback whose signature does not verify; the
// transport answers it with HTTP 403.
var Forbidden = &Error{Code: 403, Info: "Forbidden"}

// internal hides the cause of a server fault from the client; the cause is
// logged by the transport through Cause.
func internal(what string, cause error) *Error {
	return &Error{Code: ErrServer, Info: "Server internal error: " + what, cause: cause}
}
