package console_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"sxb-edu/svc"
	"sxb-edu/tests"
)

// chromium finds a headless-capable Chromium: Debian's package, which
// .ci/run installs. Without one the browser test skips, saying why;
// under CI it fails instead.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no Chromium on this CI machine (.ci/run installs Debian's chromium package)")
	}
	t.Skip("no Chromium on this machine: install Debian's chromium package to run the browser test")
	return ""
}

// headless starts a Chromium window of width × height for one test and
// answers its context (a minute and a half at most), and the folder the
// screenshots go to ($SXB_SCREENSHOTS, or a temporary one).
func headless(t *testing.T, width, height int) (context.Context, string) {
	exe := chromium(t)
	shots := os.Getenv("SXB_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.WindowSize(width, height), chromedp.Flag("lang", "en-US"))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancel(); cancelCtx(); cancelAlloc() })
	return ctx, shots
}

// screenshot saves the whole page as dir/name.
func screenshot(dir, name string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var png []byte
		if err := chromedp.FullScreenshot(&png, 100).Do(ctx); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, name), png, 0o644)
	})
}

// signInActions sign the test's console account in at base.
func signInActions(base string) chromedp.Action {
	return chromedp.Tasks{
		chromedp.Navigate(base + "/admin/login"),
		chromedp.WaitVisible("#signin", chromedp.ByID),
		chromedp.SendKeys("#name", adminName, chromedp.ByID),
		chromedp.SendKeys("#password", adminPwd, chromedp.ByID),
		chromedp.Submit("#signin", chromedp.ByID),
		chromedp.WaitVisible("header", chromedp.ByQuery),
	}
}

// TestBrowser drives the console in a real headless Chromium: sign in,
// watch a class started through the protocol appear, remove a student
// and end the class with clicks, then check through the protocol that
// the student cannot re-enter and the class is ended. It saves
// screenshots of the main pages (to $SXB_SCREENSHOTS when set: the
// README's come from there).
func TestBrowser(t *testing.T) {
	ctx, shots := headless(t, 1280, 860)
	h, im := newConsole(t)
	run := func(what string, actions ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	shot := func(name string) chromedp.Action { return screenshot(shots, name+".png") }
	base := h.HTTP.URL

	// Some traffic for the overview, then sign in.
	teacher, student := h.User(tests.AppA, "ms.li", 1), h.User(tests.AppA, "xiaoming", 0)
	h.User(tests.AppA, "xiaohong", 0)
	h.RunBackground()
	run("sign in",
		chromedp.Navigate(base+"/admin/"),
		chromedp.WaitVisible("#signin", chromedp.ByID),
		shot("login"),
		chromedp.SendKeys("#name", adminName, chromedp.ByID),
		chromedp.SendKeys("#password", adminPwd, chromedp.ByID),
		chromedp.Click("#signin", chromedp.ByID),
		chromedp.WaitVisible("#overview", chromedp.ByID),
	)

	// The class list is open when the teacher starts a class.
	run("classes", chromedp.Navigate(base+"/admin/classes"), chromedp.WaitVisible("#classes", chromedp.ByID))
	var d struct{ RoomNum int64 }
	h.Call(tests.AppA, teacher, "live", "create", M{"title": "Algebra 1"}).Want(t, 0).Decode(t, &d)
	h.Call(tests.AppA, teacher, "live", "startcourse", M{"roomnum": d.RoomNum}).Want(t, 0)
	h.Call(tests.AppA, student, "live", "reportmemid", M{"roomnum": d.RoomNum, "operate": 0}).Want(t, 0)
	h.Call(tests.AppA, teacher, "live", "reportbind", M{"operate": 0, "roomnum": d.RoomNum,
		"bind_file": M{"type": 1, "file_name": "lesson-1.pdf", "url": "https://files.example/lesson-1.pdf"}}).Want(t, 0)
	row := `tr[data-room="` + itoa(d.RoomNum) + `"]`
	run("the class appears without a reload",
		chromedp.WaitVisible(row, chromedp.ByQuery),
		shot("classes"),
		chromedp.Click(row+" a", chromedp.ByQuery),
		chromedp.WaitVisible("#members", chromedp.ByID),
		shot("class"),
	)

	// Remove the student, then end the class.
	var note, state string
	run("remove the student",
		chromedp.Click(`button[data-remove="xiaoming"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#note", chromedp.ByID),
		chromedp.Text("#note", &note, chromedp.ByID),
	)
	if !strings.Contains(note, "Removed xiaoming") {
		t.Fatalf("note after removing: %q", note)
	}
	// Through the protocol: the student cannot come back.
	h.Call(tests.AppA, student, "live", "reportmemid", M{"roomnum": d.RoomNum, "operate": 0}).Want(t, svc.CodeRemoved)
	run("end the class",
		chromedp.Click("#confirm-end", chromedp.ByID),
		chromedp.Click("#end", chromedp.ByID),
		chromedp.WaitNotPresent("#end", chromedp.ByID), // the page after the action
		chromedp.WaitVisible("#note", chromedp.ByID),
		chromedp.Text("#state", &state, chromedp.ByID),
	)
	if state != "ended" {
		t.Fatalf("state shown after ending: %q", state)
	}

	// Through the protocol: the class is over.
	h.Call(tests.AppA, teacher, "live", "exitroom", M{"roomnum": d.RoomNum}).Want(t, svc.CodeRoomState)
	var ended bool
	for _, c := range im.Calls() {
		ended = ended || strings.Contains(string(c.Raw), "1002")
	}
	if !ended {
		t.Fatal("no class-end IM message")
	}

	var usersWidth, pageWidth int
	run("the users page fits 1280 px",
		chromedp.Navigate(base+"/admin/users"), chromedp.WaitVisible("#users", chromedp.ByID),
		chromedp.Evaluate(`document.querySelector("#users").scrollWidth`, &usersWidth),
		chromedp.Evaluate(`document.documentElement.clientWidth`, &pageWidth))
	if usersWidth > pageWidth {
		t.Errorf("the users table is %d px wide in a %d-px window", usersWidth, pageWidth)
	}
	var removes int
	run("an ended class offers no Remove", chromedp.Navigate(base+"/admin/classes/"+itoa(d.RoomNum)),
		chromedp.WaitVisible("#members", chromedp.ByID),
		chromedp.Evaluate(`document.querySelectorAll("button[data-remove]").length`, &removes))
	if removes != 0 {
		t.Errorf("%d Remove buttons on an ended class", removes)
	}
	run("the other pages",
		chromedp.Navigate(base+"/admin/users"), chromedp.WaitVisible("#users", chromedp.ByID), shot("users"),
		chromedp.Navigate(base+"/admin/audit"), chromedp.WaitVisible("#audit", chromedp.ByID), shot("audit"),
		chromedp.Navigate(base+"/admin/"), chromedp.WaitVisible("#overview", chromedp.ByID),
		chromedp.Sleep(2500*time.Millisecond), // one live refresh
		shot("overview"),
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)),
		chromedp.Navigate(base+"/admin/classes/"+itoa(d.RoomNum)), chromedp.WaitVisible("#members", chromedp.ByID),
		shot("class-phone"),
	)
	var audit string
	run("audit", chromedp.Navigate(base+"/admin/audit"), chromedp.Text("#audit", &audit, chromedp.ByID))
	for _, a := range []string{"remove member", "end class", "sign in"} {
		if !strings.Contains(audit, a) {
			t.Fatalf("audit lacks %q: %s", a, audit)
		}
	}
}
