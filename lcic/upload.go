package lcic

import (
	"context"
	"fmt"
	"path"
	"strings"
	"time"
	"unicode"
)

// CreateDocumentUpload is ours, beside LCIC's actions: a pre-signed COS
// upload for a new document, checked for type and size first. The school
// PUTs the file to UploadUrl, then calls CreateDocument with DocumentUrl.
func init() { actions["CreateDocumentUpload"] = (*Service).createUpload }

// uploadTTL is how long an upload URL works.
const uploadTTL = time.Hour

func (s *Service) createUpload(ctx context.Context, c *call) (any, error) {
	var p struct {
		SdkAppId                    *uint64
		DocumentName, Owner         *string
		TranscodeType, DocumentSize *uint64
	}
	if err := c.bind(&p); err != nil {
		return nil, err
	}
	if err := c.app(p.SdkAppId, true); err != nil {
		return nil, err
	}
	name := str(p.DocumentName)
	switch {
	case name == "":
		return nil, fail("MissingParameter", "DocumentName (the file's name, with its suffix) is required")
	case len(name) > 255 || name != path.Base(name) || strings.ContainsFunc(name, func(r rune) bool { return unicode.IsControl(r) || r == '\\' }):
		return nil, fail("InvalidParameter", "DocumentName is a file name of at most 255 bytes, without a path")
	case p.DocumentSize == nil || *p.DocumentSize == 0:
		return nil, fail("MissingParameter", "DocumentSize (bytes) is required")
	}
	suffix := strings.ToLower(strings.TrimPrefix(path.Ext(name), "."))
	if err := checkDocument(int(u64(p.TranscodeType)), suffix, u64(p.DocumentSize)); err != nil {
		return nil, err
	}
	if owner := str(p.Owner); owner != "" {
		if _, err := s.user(ctx, c, owner); err != nil {
			return nil, err
		}
	}
	key := fmt.Sprintf("lcic/%d/%s/%s", c.key.AppID, randomText(16), name)
	put, object, err := s.d.Upload(key, uploadTTL)
	if err != nil {
		return nil, fail("FailedOperation", "no upload URL: %v", err)
	}
	return map[string]any{"UploadUrl": put, "DocumentUrl": object, "ExpireTime": s.d.Now().Add(uploadTTL).Unix()}, nil
}
