package bankhook_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/bankhook/bankhook"
)

func ExampleNewSlogObserver() {
	now := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{} // drop the time so the output is stable
			}
			return a
		},
	}))
	obs := bankhook.NewSlogObserver(bankhook.SlogObserverOptions{
		Logger: logger,
		Now:    func() time.Time { return now }, // a clock the example moves
	})
	h := bankhook.Chain(http.NotFoundHandler(), bankhook.Observe(obs), bankhook.AllowIPs(bankhook.MustIPAllowlist("185.40.108.0/22")))

	deny := func(remote string) {
		r := httptest.NewRequest(http.MethodPost, "/bunq", nil)
		r.RemoteAddr = remote
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	for range 500 { // a flood within one second: one line
		deny("203.0.113.9:4711")
	}
	now = now.Add(time.Second)
	deny("203.0.113.10:4711") // the next line counts the 499 held back
	// Output:
	// level=WARN msg="bankhook: request rejected" status=403 reason=ip_denied method=POST path=/bunq remote=203.0.113.9:4711 error="bankhook: 203.0.113.9 is not on the allowlist"
	// level=WARN msg="bankhook: request rejected" status=403 reason=ip_denied method=POST path=/bunq remote=203.0.113.10:4711 error="bankhook: 203.0.113.10 is not on the allowlist" suppressed=499 network=203.0.113.0/24
}
