package bankhook_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"time"

	"github.com/bankhook/bankhook"
)

func ExampleLogSampler() {
	now := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	sampler, err := bankhook.NewLogSampler(bankhook.LogSamplerOptions{
		Now: func() time.Time { return now }, // a clock the example moves
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// A flood from one network: 40,000 denied requests in a second.
	written := 0
	for i := range 40_000 {
		sender := netip.AddrFrom4([4]byte{203, 0, 113, byte(i)})
		if sampler.Sample(bankhook.ReasonIPDenied, sender).Write {
			written++
		}
	}
	fmt.Println("lines written in the first second:", written)

	now = now.Add(time.Second)
	d := sampler.Sample(bankhook.ReasonIPDenied, netip.MustParseAddr("203.0.113.250"))
	fmt.Println("next line:", d.Write, "suppressed:", d.Suppressed, "network:", d.NetworkString())
	// Output:
	// lines written in the first second: 1
	// next line: true suppressed: 39999 network: 203.0.113.0/24
}

func ExampleSenderNetwork() {
	for _, s := range []string{"203.0.113.77", "::ffff:203.0.113.77", "2001:db8:1:2::9"} {
		fmt.Println(s, "→", bankhook.SenderNetwork(netip.MustParseAddr(s)))
	}
	// Output:
	// 203.0.113.77 → 203.0.113.0/24
	// ::ffff:203.0.113.77 → 203.0.113.0/24
	// 2001:db8:1:2::9 → 2001:db8:1::/48
}

func ExampleNewSlogObserver() {
	now := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	sampler, err := bankhook.NewLogSampler(bankhook.LogSamplerOptions{Now: func() time.Time { return now }})
	if err != nil {
		fmt.Println(err)
		return
	}
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{} // drop the time so the output is stable
			}
			return a
		},
	}))
	// One sampler for both banks' receivers: one budget of lines.
	obs := bankhook.NewSlogObserver(bankhook.SlogObserverOptions{Logger: logger, Sampler: sampler})
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
