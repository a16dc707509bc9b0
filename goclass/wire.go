package goclass

// The requests as the clients send them. The type names are the
// reference's: a body of the wrong shape is refused with the JSON
// decoder's message, which names them.

type BaseRequest struct {
	S          string     `json:"s"`
	Uid        int64      `json:"uid"`
	Token      string     `json:"token"`
	SessionId  string     `json:"session_id"`
	CommonData CommonData `json:"common_data"`
}

type CommonData struct {
	DeviceId         string `json:"device_id"`
	DeviceName       string `json:"device_name"`
	SystemVersion    string `json:"system_version"`
	Platform         int64  `json:"platform"`
	AppVersion       int64  `json:"app_version"`
	AppVersionString string `json:"app_version_string"`
	DistNo           int    `json:"dist_no"`
	Seq              int64  `json:"seq"`
	Uid              int64  `json:"uid"`
	Cid              int64  `json:"cid"`
	GEO              string `json:"geo"`
	IMEI             string `json:"imei"`
	IDFA             string `json:"idfa"`
	AndroidId        string `json:"android_id"`
	OS               string `json:"os"`
	MAC              string `json:"mac"`
	IP               string `json:"ip"`
	UA               string `json:"ua"`
}

type PersonalBasic struct {
	UID      int64  `json:"uid"`
	NickName string `json:"nick_name"`
	Role     int32  `json:"role"`
}

type LoginRoomReq struct {
	CommonData CommonData `json:"common_data"`
	RoomId     string     `json:"room_id"`
	RoomType   int8       `json:"room_type"`
	PersonalBasic
}

// roomReq is the shape of most commands: who, in which room.
type roomReq struct {
	CommonData CommonData `json:"common_data"`
	RoomId     string     `json:"room_id"`
	RoomType   int8       `json:"room_type"`
	Uid        int64      `json:"uid"`
}

type (
	GetAttendeeListReq roomReq
	GetJoinLiveListReq roomReq
	LeaveRoomReq       roomReq
	EndTeachingReq     roomReq
	HeartbeatReq       roomReq
	StartShareReq      roomReq
)

type GetUserInfoReq struct {
	CommonData CommonData `json:"common_data"`
	RoomId     string     `json:"room_id"`
	RoomType   int8       `json:"room_type"`
	Uid        int64      `json:"uid"`
	TargetUid  int64      `json:"target_uid"`
}

type StopShareReq GetUserInfoReq

type PersonalStateSetableParams struct {
	Camera   int8 `json:"camera"`
	Mic      int8 `json:"mic"`
	CanShare int8 `json:"can_share"`
}

type SetUserInfoReq struct {
	CommonData CommonData `json:"common_data"`
	RoomId     string     `json:"room_id"`
	RoomType   int8       `json:"room_type"`
	Uid        int64      `json:"uid"`
	TargetUid  int64      `json:"target_uid"`
	PersonalStateSetableParams
}

type SendMessageReq struct {
	CommonData CommonData `json:"common_data"`
	RoomId     string     `json:"room_id"`
	RoomType   int8       `json:"room_type"`
	Uid        int64      `json:"uid"`
	Message    string     `json:"message"`
}
