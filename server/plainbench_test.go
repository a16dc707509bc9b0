package server

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
)

// BenchmarkPlainServer is one kept-alive connection carrying a
// classroom's request after request over loopback: "whole" is read by
// parseWhole, "readrequest" the same request with a field that sends it
// to http.ReadRequest. Allocations are the server's (the client's loop
// allocates nothing).
func BenchmarkPlainServer(b *testing.B) {
	body := `{"appid":1400000000,"timeStamp":1700000000,"token":"0123456789abcdef0123456789abcdef","roomnum":10001}`
	head := "POST /index.php?svc=live&cmd=heartbeat HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/json\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n"
	for _, c := range []struct{ name, req string }{
		{"whole", head + "\r\n" + body},
		{"readrequest", head + "Pragma: x\r\n\r\n" + body},
	} {
		b.Run(c.name, func(b *testing.B) {
			var buf [512]byte
			s := newPlainServer(&http.Server{ErrorLog: discardLogger(), Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n, _ := io.ReadFull(r.Body, buf[:r.ContentLength])
				if n != len(body) {
					w.WriteHeader(http.StatusBadRequest)
				}
				io.WriteString(w, `{"errorCode":0,"errorInfo":""}`)
			})})
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			go s.Serve(ln)
			defer s.Close()
			conn, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			req := []byte(c.req)
			br := bufio.NewReader(conn)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := conn.Write(req); err != nil {
					b.Fatal(err)
				}
				length := -1
				for {
					line, err := br.ReadSlice('\n')
					if err != nil {
						b.Fatal(err)
					}
					if len(line) == 2 {
						break
					}
					if v, ok := bytes.CutPrefix(line, []byte("Content-Length: ")); ok {
						length = 0
						for _, d := range bytes.TrimSpace(v) {
							length = length*10 + int(d-'0')
						}
					}
					if bytes.HasPrefix(line, []byte("HTTP/1.1 ")) && !bytes.HasPrefix(line, []byte("HTTP/1.1 200")) {
						b.Fatalf("answer %q", line)
					}
				}
				if _, err := br.Discard(length); err != nil || length < 0 {
					b.Fatal(length, err)
				}
			}
		})
	}
}
