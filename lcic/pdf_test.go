package lcic_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"sxb-edu/lcic"
	"sxb-edu/server"
	"sxb-edu/svc"
	"sxb-edu/tests"
)

// makePDF writes a minimal PDF of n empty pages, with its cross-reference
// table.
func makePDF(n int) []byte {
	var b strings.Builder
	var offsets []int
	obj := func(body string) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offsets), body)
	}
	b.WriteString("%PDF-1.4\n")
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	kids := make([]string, n)
	for i := range n {
		kids[i] = fmt.Sprintf("%d 0 R", 3+i)
	}
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n))
	for range n {
		obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>")
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return []byte(b.String())
}

// A PDF's pages are known as soon as it is added (its size too, when
// the school did not give it); a file that cannot be read is added all
// the same; private addresses are read only when the operator allows it.
func TestPDFPages(t *testing.T) {
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/three.pdf":
			w.Write(makePDF(3))
		case "/broken.pdf":
			w.Write([]byte("%PDF-1.4 this is not a PDF"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer files.Close()
	pages := func(private bool) func(url string, size any) (any, any) {
		_, sc, _, _ := tests.NewLCIC(t, func(c *server.Config) { c.LCIC.FetchPrivate = private })
		return func(url string, size any) (any, any) {
			p := M{"SdkAppId": tests.AppA, "DocumentUrl": url, "DocumentName": "d", "TranscodeType": 1}
			if size != nil {
				p["DocumentSize"] = size
			}
			id := sc.Call("CreateDocument", p)["DocumentId"]
			d := sc.Call("DescribeDocument", M{"DocumentId": id})
			return d["Pages"], d["DocumentSize"]
		}
	}
	inside := pages(true)
	for _, c := range []struct {
		path        string
		size        any
		pages, want float64
	}{
		{"/three.pdf", nil, 3, float64(len(makePDF(3)))},
		{"/three.pdf", 5000, 3, 5000}, // the school's size is kept
		{"/broken.pdf", 10, 0, 10},
		{"/missing.pdf", 10, 0, 10},
	} {
		if p, s := inside(files.URL+c.path, c.size); p != c.pages || s != c.want {
			t.Errorf("%s: pages %v size %v, want %v %v", c.path, p, s, c.pages, c.want)
		}
	}
	// Off by default: the server's own network is not read.
	if p, _ := pages(false)(files.URL+"/three.pdf", 10); p != float64(0) {
		t.Errorf("a private address was read: pages %v", p)
	}
	var cfg lcic.Config
	cfg.Defaults()
	if cfg.FetchPrivate || cfg.FetchTimeout <= 0 {
		t.Fatalf("defaults %+v", cfg)
	}
}

// A new file's upload: checked for type and size first, then a
// pre-signed PUT to the school's bucket that COS accepts, then the
// document made from it.
func TestDocumentUpload(t *testing.T) {
	cos := tests.NewFakeCOS(t, "AKIDup", "upKey")
	_, sc, _, _ := tests.NewLCIC(t, func(c *server.Config) {
		c.Cloud = svc.Cloud{AppID: "1250000000", SecretID: "AKIDup", SecretKey: "upKey"}
		c.COS.Bucket, c.COS.Region = "school", "ap-guangzhou"
	})
	app := int64(tests.AppA)
	for _, c := range []struct {
		p    M
		code string
	}{
		{M{"SdkAppId": app, "DocumentName": "a.exe", "TranscodeType": 1, "DocumentSize": 10}, "InvalidParameter.DocumentType"},
		{M{"SdkAppId": app, "DocumentName": "a.pdf", "TranscodeType": 1, "DocumentSize": 100<<20 + 1}, "LimitExceeded.DocumentSize"},
		{M{"SdkAppId": app, "DocumentName": "a.pdf", "TranscodeType": 1}, "MissingParameter"},
		{M{"SdkAppId": app, "DocumentName": "../a.pdf", "TranscodeType": 1, "DocumentSize": 10}, "InvalidParameter"},
		{M{"SdkAppId": app, "TranscodeType": 1, "DocumentSize": 10}, "MissingParameter"},
		{M{"DocumentName": "a.pdf", "TranscodeType": 1, "DocumentSize": 10}, "MissingParameter"},
		{M{"SdkAppId": app, "DocumentName": "a.pdf", "TranscodeType": 1, "DocumentSize": 10, "Owner": "nobody"}, "ResourceNotFound.User"},
	} {
		sc.Fails("CreateDocumentUpload", c.p, c.code)
	}
	pdf := makePDF(2)
	up := sc.Call("CreateDocumentUpload", M{"SdkAppId": app, "DocumentName": "第一课 slides.pdf", "TranscodeType": 1, "DocumentSize": len(pdf)})
	put, obj := up["UploadUrl"].(string), up["DocumentUrl"].(string)
	if !strings.HasPrefix(obj, "https://school-1250000000.cos.ap-guangzhou.myqcloud.com/lcic/") || strings.Contains(obj, "?") ||
		up["ExpireTime"] == nil {
		t.Fatalf("upload: %v", up)
	}
	if code, body := cos.Put(put, pdf); code != 200 {
		t.Fatalf("PUT to the pre-signed URL: %d %s", code, body)
	}
	if string(cos.Object(obj)) != string(pdf) {
		t.Fatal("the object is not the file")
	}
	// A URL for one object does not sign another.
	if code, _ := cos.Put(strings.Replace(put, "slides.pdf", "other.pdf", 1), pdf); code != http.StatusForbidden {
		t.Fatalf("another key with the same signature: %d", code)
	}
	id := sc.Call("CreateDocument", M{"SdkAppId": app, "DocumentUrl": obj, "DocumentName": "第一课", "TranscodeType": 1, "DocumentSize": len(pdf)})["DocumentId"]
	if d := sc.Call("DescribeDocument", M{"DocumentId": id}); d["DocumentUrl"] != obj || d["DocumentType"] != "pdf" {
		t.Fatalf("document: %v", d)
	}
	// Without COS settings: refused, clearly.
	_, sc2, _, _ := tests.NewLCIC(t, nil)
	sc2.Fails("CreateDocumentUpload", M{"SdkAppId": app, "DocumentName": "a.pdf", "TranscodeType": 1, "DocumentSize": 10}, "FailedOperation")
}

// A class whose courseware list is full: binding is refused with a clear
// code and leaves no half binding behind (a retry is refused again, the
// room lists no document).
func TestBindIntoFullClass(t *testing.T) {
	h, sc, _, _ := tests.NewLCIC(t, nil)
	app := int64(tests.AppA)
	tid := sc.Call("RegisterUser", M{"SdkAppId": app, "Name": "T", "OriginId": "t"})["UserId"].(string)
	room := int64(sc.Call("CreateRoom", M{"SdkAppId": app, "Name": "R", "StartTime": h.Unix() + 300, "EndTime": h.Unix() + 3000,
		"TeacherId": tid})["RoomId"].(float64))
	uin := tests.QueryInt(t, h.DBPath, "SELECT uin FROM t_account WHERE uid = ?", tid)
	tests.Exec(t, h.DBPath, fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
		INSERT INTO t_bind_file (uin, room_id, bind_time, type, file_name, url) SELECT %d, %d, 1, 0, 'f', 'https://x/' || i FROM n`, uin, room))
	doc := sc.Call("CreateDocument", M{"SdkAppId": app, "DocumentUrl": "https://cdn.example/a.png", "DocumentName": "A"})["DocumentId"]
	for range 2 {
		sc.Fails("BindDocumentToRoom", M{"RoomId": room, "DocumentId": doc}, "LimitExceeded")
	}
	if n := sc.Call("DescribeDocumentsByRoom", M{"RoomId": room})["Total"]; n != float64(0) {
		t.Fatalf("a refused binding is listed: %v", n)
	}
	if n := tests.QueryInt(t, h.DBPath, "SELECT count(*) FROM t_bind_file WHERE room_id = ?", room); n != 1000 {
		t.Fatalf("%d files bound", n)
	}
}
