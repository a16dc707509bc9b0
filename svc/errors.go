package svc

import (
	"errors"
	"fmt"
)

// Error codes of the protocol (docs/protocol.md §4).
const (
	CodeOK           = 0
	CodeInvalidReq   = 10001
	CodeReqJSON      = 10002
	CodeReqData      = 10003
	CodeUserExist    = 10004
	CodeUserNotExist = 10005
	CodePassword     = 10006
	CodeRepeatLogout = 10008
	CodeTokenExpire  = 10009
	CodeRoomNotExist = 10100
	CodeNoPrivilege  = 10101
	CodeRoomState    = 10102
	CodeSendIM       = 10103
	CodeRepeatBind   = 10104
	CodeNotBound     = 10105
	CodeRepeatExit   = 10107
	CodeRemoved      = 10108 // not the original's: an operator removed the member
	CodeServer       = 90000
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

// Codes lists every errorCode of the protocol (metrics range over it).
var Codes = []int{CodeOK, CodeInvalidReq, CodeReqJSON, CodeReqData, CodeUserExist,
	CodeUserNotExist, CodePassword, CodeRepeatLogout, CodeTokenExpire,
	CodeRoomNotExist, CodeNoPrivilege, CodeRoomState, CodeSendIM, CodeRepeatBind,
	CodeNotBound, CodeRepeatExit, CodeRemoved, CodeServer}

// ErrForbidden is returned by a callback whose signature does not verify.
// It is not a protocol code: the transport answers it with HTTP 403.
var ErrForbidden = errors.New("callback signature invalid")

// internal hides the cause of a server fault from the client; the cause is
// logged by the server (Error and Unwrap carry it), never sent.
func internal(what string, cause error) *Error {
	return &Error{Code: CodeServer, Info: "Server internal error: " + what, cause: cause}
}
