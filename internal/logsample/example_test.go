package logsample_test

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/bankhook/bankhook/internal/logsample"
)

func ExampleSampler() {
	now := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	sampler, err := logsample.New(logsample.Options{
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
		if sampler.Sample("ip_denied", sender).Write {
			written++
		}
	}
	fmt.Println("lines written in the first second:", written)

	now = now.Add(time.Second)
	d := sampler.Sample("ip_denied", netip.MustParseAddr("203.0.113.250"))
	fmt.Println("next line:", d.Write, "suppressed:", d.Suppressed, "network:", d.NetworkString())
	// Output:
	// lines written in the first second: 1
	// next line: true suppressed: 39999 network: 203.0.113.0/24
}

func ExampleNetwork() {
	for _, s := range []string{"203.0.113.77", "::ffff:203.0.113.77", "2001:db8:1:2::9"} {
		fmt.Println(s, "→", logsample.Network(netip.MustParseAddr(s)))
	}
	// Output:
	// 203.0.113.77 → 203.0.113.0/24
	// ::ffff:203.0.113.77 → 203.0.113.0/24
	// 2001:db8:1:2::9 → 2001:db8:1::/48
}
