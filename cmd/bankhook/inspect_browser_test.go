package main

import (
	"context"
	"flag"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// screenshotPath is where -update-screenshot writes the README's picture
// of the inspector, from this package's directory.
const screenshotPath = "../../docs/inspector.png"

var updateScreenshot = flag.Bool("update-screenshot", false, "write the inspector's screenshot to docs/inspector.png (needs chromium)")

// rowAppearsWithin is how soon after a delivery its row must be on the
// page.
const rowAppearsWithin = 2 * time.Second

// browser starts a headless Debian chromium with a profile of its own and
// returns its context, for chromedp. Without chromium the test skips,
// and fails when BANKHOOK_REQUIRE_BROWSER=1 (as in CI) or
// -update-screenshot asks for the picture.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		const msg = "chromium is not installed (apt-get install chromium)"
		if os.Getenv("BANKHOOK_REQUIRE_BROWSER") == "1" || *updateScreenshot {
			t.Fatal(msg + " and BANKHOOK_REQUIRE_BROWSER=1 or -update-screenshot needs it")
		}
		t.Skip(msg + "; set BANKHOOK_REQUIRE_BROWSER=1 to fail instead")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		// Without these chromium calls home, and the network here is closed.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.WithoutCancel(t.Context()), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	require.NoError(t, chromedp.Do(ctx), "starting %s", path) // the browser lives as long as ctx
	return ctx
}

// chromiumPath returns the path of Debian's chromium, or "".
func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// within runs steps, failing the test unless they finish within d.
func within(t *testing.T, ctx context.Context, d time.Duration, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	require.NoError(t, chromedp.Do(tctx, steps...), "%s within %v", what, d)
}

// visibleRows returns the data-id of every row the filters show, top to
// bottom.
func visibleRows(t *testing.T, ctx context.Context) []string {
	t.Helper()
	ids, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('#rows tr:not([hidden])')].map((tr) => tr.dataset.id)`))
	require.NoError(t, err)
	return ids
}

// choose sets a select element's value as a person would, firing change.
func choose(id, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById(` + strconv.Quote(id) +
		`); s.value = ` + strconv.Quote(value) + `; s.dispatchEvent(new Event('change')); })()`)
}

// TestInspectorInBrowser drives the inspector's page in chromium: without
// the address serve logged the page is refused (401), with it the page
// opens and the token leaves the address; a delivery from `bankhook send`
// appears live, its detail shows the amount as decoded, Replay adds a
// replayed row, a wrong token shows bad_token, the filters and Send sample
// work, and a reloaded page shows the earlier rows. With
// -update-screenshot it writes docs/inspector.png.
func TestInspectorInBrowser(t *testing.T) {
	t.Parallel()
	began := time.Now()
	ctx := browser(t)
	browserUp := time.Since(began)

	s := startServe(t, "--dev", "--token", "s3cret", "--inspect", "127.0.0.1:0")
	logged, page := s.inspectorURL(), s.inspectorPage()

	// Without the token: 401, and the page says where to go.
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	refused, err := chromedp.Run(tctx, chromedp.NavigateResponse(page))
	cancel()
	require.NoError(t, err)
	assert.Equal(t, int64(http.StatusUnauthorized), refused.Status)
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	require.NoError(t, err)
	assert.Contains(t, text, "open the address serve logged at start")

	// With the token: the page, at its address without the token.
	tctx, cancel = context.WithTimeout(ctx, 30*time.Second)
	opened, err := chromedp.Run(tctx, chromedp.NavigateResponse(logged))
	cancel()
	require.NoError(t, err)
	assert.Equal(t, int64(http.StatusOK), opened.Status)
	within(t, ctx, 30*time.Second, "the page connects its live list",
		chromedp.WaitVisible(chromedp.CSS(`body[data-stream="live"]`)),
		chromedp.WaitReady(chromedp.CSS(`#sample option[value="bankhub/TRANSACTIONS_DEFAULT_UPDATE"]`)))
	location, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	assert.Equal(t, page, location, "the token left the address bar")
	history, err := chromedp.Run(ctx, chromedp.NavigationEntries())
	require.NoError(t, err)
	for _, e := range history.Entries {
		assert.NotContains(t, e.URL, "token=", "the token is in no history entry")
	}
	cookie, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.cookie`))
	require.NoError(t, err)
	assert.Empty(t, cookie, "the session cookie is HttpOnly")

	// A bunq MUTATION from the command's own sender appears within 2 s.
	sent := time.Now()
	r := runBin(t, nil, "send", "bunq", "MUTATION", "--to", s.url+"/bunq", "--token", "s3cret")
	require.Equal(t, exitOK, r.code, r.stdout+r.stderr)
	acknowledged := time.Now()
	within(t, ctx, rowAppearsWithin, "the MUTATION's row",
		chromedp.WaitVisible(chromedp.CSS(`#rows tr[data-bank="bunq"][data-status="200"][data-replayed="false"]`)))
	t.Logf("row on the page %v after `bankhook send` started, %v after it was acknowledged",
		time.Since(sent).Round(time.Millisecond), time.Since(acknowledged).Round(time.Millisecond))
	require.Equal(t, []string{"1"}, visibleRows(t, ctx))

	// Its detail shows the amount exactly as decoded, and no secret.
	within(t, ctx, 10*time.Second, "the MUTATION's detail",
		chromedp.Click(chromedp.CSS(`#rows tr[data-id="1"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#detail[data-id="1"] #amounts .amount`)))
	amount, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#amounts li:first-child .amount`)))
	require.NoError(t, err)
	assert.Equal(t, "-24.95 EUR", amount)
	detail, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#detail`)))
	require.NoError(t, err)
	assert.Contains(t, detail, "POST /bunq?token=REDACTED")
	assert.Contains(t, detail, `"value": "-24.95"`, "the raw body, pretty-printed")
	assert.Contains(t, detail, "written to the output before the bank was answered")
	assert.NotContains(t, detail, "s3cret")

	// Replay: the handled event comes back 200 replayed, as a new row.
	within(t, ctx, 10*time.Second, "the replay's row",
		chromedp.Click(chromedp.CSS(`#replay`)),
		chromedp.WaitVisible(chromedp.CSS(`#rows tr[data-id="2"][data-via="replay"][data-status="200"][data-replayed="true"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#detail[data-id="2"] .tag`)))
	replayedTag, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#rows tr[data-id="2"] .tag`)))
	require.NoError(t, err)
	assert.Equal(t, "replayed", replayedTag)

	// A wrong token is rejected, and the page says why.
	r = runBin(t, nil, "send", "bunq", "MUTATION", "--to", s.url+"/bunq", "--token", "wrong", "--policy", "once")
	require.Equal(t, exitFailure, r.code, r.stdout+r.stderr)
	within(t, ctx, rowAppearsWithin, "the bad_token row",
		chromedp.WaitVisible(chromedp.CSS(`#rows tr[data-id="3"][data-status="401"][data-reason="bad_token"]`)))
	within(t, ctx, 10*time.Second, "the rejection's detail",
		chromedp.Click(chromedp.CSS(`#rows tr[data-id="3"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#detail[data-id="3"] #answer-body`)))
	problem, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#answer-body`)))
	require.NoError(t, err)
	assert.Contains(t, problem, `"reason": "bad_token"`, "the problem+json answer")
	disabled, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById('replay').disabled`))
	require.NoError(t, err)
	assert.True(t, disabled, "a request rejected before its body was read cannot be replayed")

	// Send sample: bankHub's 18-digit amount is shown as sent, not as a
	// float would round it.
	within(t, ctx, 10*time.Second, "the sample's row and detail",
		choose("sample", "bankhub/TRANSACTIONS_DEFAULT_UPDATE"),
		chromedp.Click(chromedp.CSS(`#send-sample`)),
		chromedp.WaitVisible(chromedp.CSS(`#rows tr[data-id="4"][data-bank="bankhub"][data-via="sample"][data-status="200"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#detail[data-id="4"] #amounts .amount`)))
	amount, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#amounts li:first-child .amount`)))
	require.NoError(t, err)
	assert.Equal(t, "123456789012345678 VND", amount)

	// Filters.
	require.NoError(t, chromedp.Do(ctx, choose("filter-status", "4")))
	assert.Equal(t, []string{"3"}, visibleRows(t, ctx), "4xx only")
	require.NoError(t, chromedp.Do(ctx, choose("filter-status", ""), choose("filter-bank", "bankhub")))
	assert.Equal(t, []string{"4"}, visibleRows(t, ctx), "bankhub only")
	require.NoError(t, chromedp.Do(ctx, choose("filter-bank", "")))
	assert.Equal(t, []string{"4", "3", "2", "1"}, visibleRows(t, ctx), "newest first")

	// A page loaded later shows the deliveries already kept: the session
	// cookie opens it without the token.
	within(t, ctx, 30*time.Second, "the reloaded page",
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`body[data-stream="live"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#rows tr[data-id="1"]`)))
	assert.Equal(t, []string{"4", "3", "2", "1"}, visibleRows(t, ctx))
	location, err = chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	assert.Equal(t, page+"#id=4", location, "the open delivery is kept, and no token comes back")

	// The logged address works again in this process, as in a second tab.
	tctx, cancel = context.WithTimeout(ctx, 30*time.Second)
	again, err := chromedp.Run(tctx, chromedp.NavigateResponse(logged))
	cancel()
	require.NoError(t, err)
	assert.Equal(t, int64(http.StatusOK), again.Status)
	within(t, ctx, 30*time.Second, "the page opened again",
		chromedp.WaitVisible(chromedp.CSS(`body[data-stream="live"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#rows tr[data-id="1"]`)))
	assert.Equal(t, []string{"4", "3", "2", "1"}, visibleRows(t, ctx))

	if *updateScreenshot {
		writeScreenshot(t, ctx)
	}

	// serve restarts on the same inspector address: the page's session
	// was the earlier process's, so its live list is refused and the page
	// says to open the new address, which works.
	s.stop()
	restarted := startServe(t, "--dev", "--token", "s3cret", "--inspect", strings.TrimSuffix(strings.TrimPrefix(page, "http://"), "/"))
	within(t, ctx, 30*time.Second, "the refused live list",
		chromedp.WaitVisible(chromedp.CSS(`body[data-stream="closed"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#message.error`)))
	said, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#message`)))
	require.NoError(t, err)
	assert.Contains(t, said, "open the address it logged at start")
	require.Equal(t, page, restarted.inspectorPage())
	require.NotEqual(t, logged, restarted.inspectorURL(), "a new token")
	tctx, cancel = context.WithTimeout(ctx, 30*time.Second)
	stale, err := chromedp.Run(tctx, chromedp.NavigateResponse(logged))
	cancel()
	require.NoError(t, err)
	assert.Equal(t, int64(http.StatusUnauthorized), stale.Status, "the earlier process's address")
	tctx, cancel = context.WithTimeout(ctx, 30*time.Second)
	fresh, err := chromedp.Run(tctx, chromedp.NavigateResponse(restarted.inspectorURL()))
	cancel()
	require.NoError(t, err)
	assert.Equal(t, int64(http.StatusOK), fresh.Status)
	within(t, ctx, 30*time.Second, "the new process's page",
		chromedp.WaitVisible(chromedp.CSS(`body[data-stream="live"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#empty`)))
	assert.Empty(t, visibleRows(t, ctx), "a new process keeps no earlier delivery")
	restarted.stop()
	t.Logf("browser started in %v; whole test %v", browserUp.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
}

// writeScreenshot shows the MUTATION's detail under the list and writes
// the page to docs/inspector.png.
func writeScreenshot(t *testing.T, ctx context.Context) {
	t.Helper()
	within(t, ctx, 10*time.Second, "the picture's view",
		chromedp.EmulateViewport(1280, 1000),
		chromedp.Click(chromedp.CSS(`#rows tr[data-id="1"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#detail[data-id="1"] #amounts .amount`)),
		chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('tr.new').forEach((tr) => tr.classList.remove('new'))`))
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Dir(screenshotPath), 0o755))
	require.NoError(t, os.WriteFile(screenshotPath, png, 0o644))
	t.Logf("wrote %s (%d bytes)", screenshotPath, len(png))
}
