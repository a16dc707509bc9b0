package goclass

import "sxb-edu/store"

// The API's codes, as the reference's.
const (
	CodeOK             = 0
	CodeSystem         = 3
	CodeInvalid        = 4
	CodeTeacherIn      = 10001
	CodePeopleFull     = 10002
	CodeNoPermission   = 10003
	CodeNotInRoom      = 10004
	CodeNeedLogin      = 10005
	CodeNoRoom         = 10006
	CodeJoinLiveFull   = 10007
	CodeSharing        = 10008
	CodeNotSharing     = 10009
	CodeSendMessage    = 10011
	CodeTooMany        = 10012 // ours: the room cap or a client's new-room limit reached
	CodeAlreadyHandled = 2     // a repeated request answered from the cache (logged, never sent)
)

// Codes are the codes the API answers (for the server's metric series).
var Codes = []int{CodeOK, CodeSystem, CodeInvalid, CodeTeacherIn, CodePeopleFull, CodeNoPermission, CodeNotInRoom,
	CodeNeedLogin, CodeNoRoom, CodeJoinLiveFull, CodeSharing, CodeNotSharing, CodeSendMessage, CodeTooMany}

// Error is an answer's code and message.
type Error struct {
	Code    int
	Message string
}

func (e *Error) Error() string { return e.Message }

// The reference's error answers.
var (
	errInvalid    = &Error{CodeInvalid, "invalid parameter"}
	errNeedLogin  = &Error{CodeNeedLogin, "need login first"}
	errNoRoom     = &Error{CodeNoRoom, "room not exist"}
	errNotInRoom  = &Error{CodeNotInRoom, "user not in room"}
	errNoPerm     = &Error{CodeNoPermission, "no permission"}
	errNotTeacher = &Error{CodeNoPermission, "user not teacher"}
	errTeacherIn  = &Error{CodeTeacherIn, "Teacher Already In Room"}
	errPeopleFull = &Error{CodePeopleFull, "people num overflow"}
	errJoinFull   = &Error{CodeJoinLiveFull, "join live num overflow"}
	errSharing    = &Error{CodeSharing, "sharing"}
	errNotSharing = &Error{CodeNotSharing, "user not sharing"}
)

// Roles, room types and the on/off states.
const (
	roleTeacher = 1
	roleStudent = 2

	SmallClass = 1
	LargeClass = 2

	off = 1 // NEGATIVE in the reference
	on  = 2 // POSITIVE
)

// Notification commands sent through /cgi/sendmsg.
const (
	cmdPersonal   = 102
	cmdAttendees  = 103
	cmdJoinLive   = 104
	cmdEndTeach   = 105
	cmdStartShare = 106
	cmdStopShare  = 107
)

// Personal-state change types (cmd 102).
const (
	changeRole     = 1
	changeCamera   = 2
	changeMic      = 3
	changeCanShare = 4
)

// Person is a member as the API shows one.
type Person struct {
	UID        int64  `json:"uid"`
	NickName   string `json:"nick_name"`
	Role       int32  `json:"role"`
	LoginTime  int64  `json:"login_time,omitempty"`
	JoinLiveMS int64  `json:"join_live_time,omitempty"`
	Camera     int8   `json:"camera"`
	Mic        int8   `json:"mic"`
	CanShare   int8   `json:"can_share"`
}

func person(m *store.GoClassMember) Person {
	return Person{UID: m.UID, NickName: m.NickName, Role: int32(m.Role), LoginTime: m.LoginMS,
		JoinLiveMS: m.JoinLiveMS, Camera: int8(m.Camera), Mic: int8(m.Mic), CanShare: int8(m.CanShare)}
}

// RoomInfo is the room part of a login's answer.
type RoomInfo struct {
	RoomID        string `json:"room_id"`
	DefaultCamera int8   `json:"default_camera_state,omitempty"`
	DefaultMic    int8   `json:"default_mic_state,omitempty"`
	AllowCamera   int8   `json:"allow_turn_on_camera,omitempty"`
	AllowMic      int8   `json:"allow_turn_on_mic,omitempty"`
	SharingUID    int64  `json:"sharing_uid,omitempty"`
}

// Login is a login's answer.
type Login struct {
	MaxJoinLive int32 `json:"max_join_live_num"`
	RoomInfo
	Person
	AppToken string `json:"app_token,omitempty"`
}

// List is a member list's answer.
type List struct {
	Users  []Person
	Seq    int64
	RoomID string
}

// Seqs is a heartbeat's answer.
type Seqs struct {
	Interval        int32 `json:"interval"`
	AttendeeListSeq int64 `json:"attendee_list_seq"`
	JoinLiveListSeq int64 `json:"join_live_list_seq"`
}

// Notification payloads (the "data" of {"cmd","data"}).
type operator struct {
	OperatorUID  int64  `json:"operator_uid,omitempty"`
	OperatorName string `json:"operator_name,omitempty"`
}

type personalNote struct {
	operator
	Type  int8     `json:"type"`
	Users []Person `json:"users"`
}

type listNote struct {
	Seq   int64 `json:"seq"`
	Type  int8  `json:"type"`
	Delta int8  `json:"delta"`
	Person
}

type endNote struct {
	operator
}

type startShareNote struct {
	SharingUID  int64  `json:"sharing_uid"`
	SharingName string `json:"sharing_name"`
}

type stopShareNote struct {
	operator
	TargetUID  int64  `json:"target_uid"`
	TargetName string `json:"target_name"`
}
