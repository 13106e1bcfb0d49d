package bankhook_test

import (
	"fmt"
	"net/netip"
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
