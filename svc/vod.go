package svc

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	vod "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/vod/v20180717"

	"sxb-edu/sig"
)

// VODHost is the only host cmd_proxy forwards to.
const VODHost = "vod.api.qcloud.com"

const vodTimeout = 10 // seconds per VOD API call

// VODSignData answers vod get_sign.
type VODSignData struct {
	Sign            string `json:"sign"`
	SecretID        string `json:"SecretId"`
	SignatureMethod string `json:"SignatureMethod"`
}

// VODClientSignData answers vod get_client_sign.
type VODClientSignData struct {
	Sign     string `json:"sign"`
	SecretID string `json:"SecretId"`
}

// vodIn is the request shared by vod get_sign and cmd_proxy.
type vodIn struct {
	method, host, path string
	params             map[string]any
	sigMethod          string
}

// vodInput reads method, host, path and params in the reference's order.
func vodInput(b Body, proxy bool) (*vodIn, error) {
	in := &vodIn{}
	if !b.Has("method") {
		return nil, E(CodeReqData, "Lack of method")
	}
	m, ok := b.Str("method")
	if !ok || (m != "GET" && m != "POST") {
		return nil, E(CodeReqData, "invalid method")
	}
	in.method = m
	if !b.Has("host") {
		return nil, E(CodeReqData, "Lack of host")
	}
	h, ok := b.Str("host")
	if !ok || (proxy && h != VODHost) {
		return nil, E(CodeReqData, "invalid host")
	}
	in.host = h
	if !b.Has("path") {
		return nil, E(CodeReqData, "Lack of path")
	}
	if in.path, ok = b.Str("path"); !ok {
		return nil, E(CodeReqData, "invalid path")
	}
	if !b.Has("params") {
		return nil, E(CodeReqData, "Lack of params")
	}
	switch p := b["params"].(type) {
	case map[string]any:
		in.params = p
	case []any: // a PHP array too: keys 0, 1, ...
		in.params = make(map[string]any, len(p))
		for i, v := range p {
			in.params[strconv.Itoa(i)] = v
		}
	default:
		return nil, E(CodeReqData, "invalid params")
	}
	in.sigMethod = sig.HmacSHA1
	if v, ok := in.params["SignatureMethod"]; ok {
		if v != sig.HmacSHA1 && v != sig.HmacSHA256 {
			return nil, E(CodeReqData, "invalid params.SignatureMethod")
		}
		in.sigMethod = v.(string)
	}
	if proxy {
		a, ok := in.params["Action"]
		if !ok {
			return nil, E(CodeReqData, "lack of params.Action")
		}
		if _, ok := a.(string); !ok {
			return nil, E(CodeReqData, "invalid params.Action")
		}
	}
	return in, nil
}

// phpScalar renders a JSON scalar as PHP's string conversion does; ok is
// false for arrays and objects.
func phpScalar(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", true
	case bool:
		if x {
			return "1", true
		}
		return "", true
	case string:
		return x, true
	case json.Number:
		if i, ok := IsInt(x); ok {
			return strconv.FormatInt(i, 10), true
		}
		f, err := x.Float64()
		if err != nil {
			return string(x), true
		}
		return phpFloat(f), true
	}
	return "", false
}

// phpFloat formats like PHP's float to string (precision 14): 0.1, 1.0E+25.
func phpFloat(f float64) string {
	s := strconv.FormatFloat(f, 'G', 14, 64)
	mant, exp, ok := strings.Cut(s, "E")
	if !ok {
		return s
	}
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	sign := exp[:1]
	exp = strings.TrimLeft(exp[1:], "0")
	if exp == "" {
		exp = "0"
	}
	return mant + "E" + sign + exp
}

func (s *Service) vodCred() (id, key string, err error) {
	c := s.Cfg.Cloud
	if m := missing("cloud.secret_id", c.SecretID, "cloud.secret_key", c.SecretKey); len(m) > 0 {
		return "", "", notConfigured("VOD", m)
	}
	return c.SecretID, c.SecretKey, nil
}

// VODGetSign is vod get_sign (a Token command): the signature of a legacy cloud
// API request the client then sends itself.
func (s *Service) VODGetSign(ctx context.Context, r *Req) (any, error) {
	in, err := vodInput(r.Body, false)
	if err != nil {
		return nil, err
	}
	params := make(map[string]string, len(in.params)+1)
	for k, v := range in.params {
		str, ok := phpScalar(v)
		if !ok {
			return nil, E(CodeReqData, "invalid params."+k)
		}
		params[k] = str
	}
	// Field errors first, then what this server is willing to sign.
	if !slices.Contains(s.Cfg.VOD.SignHosts, in.host) {
		return nil, E(CodeReqData, "invalid host: not a host this server signs for")
	}
	if action, ok := in.params["Action"].(string); !ok || !slices.Contains(s.Cfg.VOD.SignActions, action) {
		return nil, E(CodeNoPrivilege, "params.Action is not an action this server signs")
	}
	id, key, err := s.vodCred()
	if err != nil {
		return nil, err
	}
	params["SecretId"] = id
	text := sig.VODSignText(in.method, in.host, in.path, params)
	return &VODSignData{Sign: sig.VODSign(text, key, in.sigMethod), SecretID: id, SignatureMethod: in.sigMethod}, nil
}

// VODGetClientSign is vod get_client_sign (a Token command): the signature a
// client uploads video to VOD with.
func (s *Service) VODGetClientSign(ctx context.Context, r *Req) (any, error) {
	id, key, err := s.vodCred()
	if err != nil {
		return nil, err
	}
	now := s.now()
	sign := sig.VODClientSign(id, key, now, now+seconds(s.Cfg.VOD.ClientSignExpire), phpRand())
	return &VODClientSignData{Sign: sign, SecretID: id}, nil
}

// VODCmdProxy is vod cmd_proxy (a Token command): the two legacy media queries,
// answered through the current VOD API (DescribeMediaInfos) in the
// legacy result shape.
func (s *Service) VODCmdProxy(ctx context.Context, r *Req) (any, error) {
	in, err := vodInput(r.Body, true)
	if err != nil {
		return nil, err
	}
	action := in.params["Action"].(string)
	if action != "DescribeVodInfo" && action != "GetVideoInfo" {
		return nil, E(CodeNoPrivilege, "Server internal error:unsupport action.")
	}
	id, key, err := s.vodCred()
	if err != nil {
		return nil, err
	}
	region := s.Cfg.VOD.Region
	if v, ok := in.params["Region"].(string); ok && v != "" {
		region = v
	}
	client := sig.VOD{SecretID: id, SecretKey: key, Endpoint: s.Cfg.VOD.Endpoint, Region: region, Timeout: vodTimeout}

	var ids, filters []string
	if action == "GetVideoInfo" {
		ids = listParam(in.params, "fileId")
		for _, f := range listParam(in.params, "infoFilter") {
			if vodFilters[f] {
				filters = append(filters, f)
			}
		}
	} else {
		ids = listParam(in.params, "fileIds")
		filters = []string{"basicInfo", "metaData", "transcodeInfo"}
	}
	resp, err := client.MediaInfos(ids, filters)
	if err != nil {
		return nil, vodFailure(err)
	}
	var set []*vod.MediaInfo
	if resp.Response != nil {
		set = resp.Response.MediaInfoSet
	}
	out := map[string]any{"code": 0, "message": ""}
	if action == "GetVideoInfo" {
		if len(set) == 0 || set[0] == nil {
			return nil, vodError(5000, "ResourceNotFound: file not exist: "+strings.Join(ids, ","), nil)
		}
		for k, v := range legacyVideoInfo(set[0]) {
			out[k] = v
		}
		return out, nil
	}
	files := make([]map[string]any, 0, len(set))
	for _, m := range set {
		if m != nil {
			files = append(files, legacyFile(m))
		}
	}
	out["totalCount"] = len(files)
	out["fileSet"] = files
	return out, nil
}

// vodFilters are the legacy infoFilter names the current API knows.
var vodFilters = map[string]bool{"basicInfo": true, "metaData": true, "transcodeInfo": true,
	"imageSpriteInfo": true, "snapshotByTimeOffsetInfo": true, "sampleSnapshotInfo": true,
	"keyFrameDescInfo": true, "animatedGraphicsInfo": true, "adaptiveDynamicStreamingInfo": true}

var indexedKey = regexp.MustCompile(`^(.+)\.(\d+)$`)

// listParam collects a legacy list parameter: name as a scalar or a JSON
// list, and the flattened name.0, name.1, ... keys in index order.
func listParam(p map[string]any, name string) []string {
	var out []string
	add := func(v any) {
		if str, ok := phpScalar(v); ok && str != "" {
			out = append(out, str)
		}
	}
	switch v := p[name].(type) {
	case []any:
		for _, x := range v {
			add(x)
		}
	case nil:
	default:
		add(v)
	}
	type kv struct {
		i int
		v any
	}
	var idx []kv
	for k, v := range p {
		if m := indexedKey.FindStringSubmatch(k); m != nil && m[1] == name {
			i, err := strconv.Atoi(m[2])
			if err == nil {
				idx = append(idx, kv{i, v})
			}
		}
	}
	sort.Slice(idx, func(a, b int) bool { return idx[a].i < idx[b].i })
	for _, e := range idx {
		add(e.v)
	}
	return out
}

// vodFailure turns a failed VOD call into the reference's answer: 90000
// with the cloud's code (in the legacy API's numbering) and message. A
// call that never got an answer says only that: its error names the
// endpoint, which stays in the log.
func vodFailure(err error) *Error {
	var ce *tcerr.TencentCloudSDKError
	if errors.As(err, &ce) && !strings.HasPrefix(ce.Code, "ClientError") {
		return vodError(legacyCode(ce.Code), ce.Code+": "+ce.Message, err)
	}
	return vodError(6200, "VOD service unavailable", err)
}

func vodError(code int, msg string, cause error) *Error {
	return &Error{Code: CodeServer, Info: "Server internal error:call qcloud failed",
		Data: map[string]any{"code": code, "message": msg}, cause: cause}
}

// legacyCode maps a current API error code to the legacy API's common
// codes (4000 bad parameter, 4100 auth, 4200 expired, 4300 denied, 4400
// quota, 5000 not found, 5100 operation failed, 6000 internal, 6100 not
// supported, 6200 unavailable).
func legacyCode(code string) int {
	for _, m := range []struct {
		prefix string
		code   int
	}{
		{"AuthFailure.SignatureExpire", 4200}, {"AuthFailure", 4100},
		{"InvalidParameter", 4000}, {"MissingParameter", 4000}, {"UnknownParameter", 4000},
		{"UnauthorizedOperation", 4300}, {"OperationDenied", 4300},
		{"RequestLimitExceeded", 4400}, {"LimitExceeded", 4400},
		{"ResourceNotFound", 5000}, {"FailedOperation", 5100}, {"ResourceUnavailable", 5100},
		{"ResourceInUse", 5100}, {"UnsupportedOperation", 6100}, {"ClientError", 6200},
	} {
		if strings.HasPrefix(code, m.prefix) {
			return m.code
		}
	}
	return 6000
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func i64(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func f64(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

// unixTime converts the current API's ISO 8601 times to the legacy unix
// seconds (0 when absent).
func unixTime(p *string) int64 {
	if p == nil {
		return 0
	}
	t, err := time.Parse(time.RFC3339, *p)
	if err != nil {
		return 0
	}
	return t.Unix()
}

// legacyStatus: 2 normal, 3 paused (forbidden), 0 otherwise.
func legacyStatus(p *string) int {
	switch str(p) {
	case "Normal":
		return 2
	case "Forbidden", "SystemForbidden":
		return 3
	}
	return 0
}

// legacyFile is a fileSet entry of DescribeVodInfo.
func legacyFile(m *vod.MediaInfo) map[string]any {
	bi := m.BasicInfo
	if bi == nil {
		bi = &vod.MediaBasicInfo{}
	}
	md := m.MetaData
	if md == nil {
		md = &vod.MediaMetaData{}
	}
	play := []map[string]any{}
	if m.TranscodeInfo != nil {
		for _, t := range m.TranscodeInfo.TranscodeSet {
			if t != nil {
				play = append(play, map[string]any{"url": str(t.Url), "definition": i64(t.Definition),
					"vbitrate": i64(t.Bitrate), "vheight": i64(t.Height), "vwidth": i64(t.Width)})
			}
		}
	}
	return map[string]any{"fileId": str(m.FileId), "fileName": str(bi.Name),
		"duration": int64(f64(md.Duration)), "size": i64(md.Size), "status": legacyStatus(bi.Status),
		"image_url": str(bi.CoverUrl), "desc": str(bi.Description),
		"createTime": unixTime(bi.CreateTime), "updateTime": unixTime(bi.UpdateTime),
		"playSet": play}
}

// legacyVideoInfo is the answer of GetVideoInfo for one file.
func legacyVideoInfo(m *vod.MediaInfo) map[string]any {
	out := map[string]any{}
	md := m.MetaData
	if bi := m.BasicInfo; bi != nil {
		size, dur := int64(0), int64(0)
		if md != nil {
			size, dur = i64(md.Size), int64(f64(md.Duration))
		}
		out["basicInfo"] = map[string]any{"name": str(bi.Name), "size": size, "duration": dur,
			"description": str(bi.Description), "status": legacyStatus(bi.Status),
			"createTime": unixTime(bi.CreateTime), "updateTime": unixTime(bi.UpdateTime),
			"expireTime": unixTime(bi.ExpireTime), "classificationId": i64(bi.ClassId),
			"classificationName": str(bi.ClassName), "coverUrl": str(bi.CoverUrl),
			"type": str(bi.Type), "sourceVideoUrl": str(bi.MediaUrl)}
	}
	if md != nil {
		out["metaData"] = map[string]any{"size": i64(md.Size), "container": str(md.Container),
			"bitrate": i64(md.Bitrate), "height": i64(md.Height), "width": i64(md.Width),
			"duration": int64(f64(md.Duration)), "rotate": i64(md.Rotate)}
	}
	if m.TranscodeInfo != nil {
		list := []map[string]any{}
		for _, t := range m.TranscodeInfo.TranscodeSet {
			if t != nil {
				list = append(list, map[string]any{"url": str(t.Url), "definition": i64(t.Definition),
					"bitrate": i64(t.Bitrate), "height": i64(t.Height), "width": i64(t.Width),
					"size": i64(t.Size), "duration": int64(f64(t.Duration)),
					"container": str(t.Container), "md5": str(t.Md5)})
			}
		}
		out["transcodeInfo"] = map[string]any{"transcodeList": list}
	}
	return out
}
