// Package sig signs what clients need (IM userSig, COS, VOD) and talks to
// Tencent's services (IM REST, replay index, VOD API).
package sig

import (
	"time"

	"github.com/tencentyun/tls-sig-api-v2-golang/tencentyun"
)

// UserSig makes an IM userSig (TLS signature v2) for userID in sdkAppID,
// valid for expire.
func UserSig(sdkAppID int64, key, userID string, expire time.Duration) (string, error) {
	return tencentyun.GenUserSig(int(sdkAppID), key, userID, int(expire/time.Second))
}

// VerifyUserSig checks a userSig made by UserSig at now.
func VerifyUserSig(sdkAppID int64, key, userID, userSig string, now time.Time) error {
	return tencentyun.VerifyUserSig(uint64(sdkAppID), key, userID, userSig, now)
}
