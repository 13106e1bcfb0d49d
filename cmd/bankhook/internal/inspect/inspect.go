// Package inspect is serve's delivery inspector: a page, on a loopback
// listener of its own, that lists the latest deliveries to the bank
// endpoints live (Server-Sent Events), shows each one's request, answer,
// typed event and output line, replays a delivery through the pipeline
// and sends the built-in samples.
//
// The inspector watches from outside the pipeline. [Inspector.Watch]
// wraps a bank endpoint and records what it answered; the Observer from
// [Inspector.Observer] learns what the pipeline decided (the sender, the
// reason, the idempotency key, the body it read, the typed event); the
// sink hands over the output line with [SetLine]. None of them changes an
// answer or waits for a browser: keeping a delivery takes one short
// mutex and never blocks on a reader, and a browser that reads too slowly
// is disconnected (its EventSource reconnects and catches up from the
// deliveries kept).
//
// Memory is bounded: at most Options.Capacity deliveries are kept, and
// their requests, answers and lines (the part the detail view and Replay
// need) together take at most Options.MaxBytes, the oldest giving theirs
// up first. A body is kept only as the pipeline read it, so no more than
// serve's --max-body.
//
// # Access
//
// The inspector shows bank events with account data and acts on the
// pipeline, so its listener being on loopback is not enough: every user
// and process of the machine can reach loopback. Every request therefore
// needs a secret that only whoever reads serve's log holds:
//
//   - the access token, random (130 bits) and new at every start of the
//     process, in the address serve logs: http://127.0.0.1:4040/?token=…
//     ([Server.AccessURL]);
//   - the session cookie the browser gets for it. Opening that address
//     trades the token for the cookie (HttpOnly, SameSite=Strict, Path=/;
//     not Secure, as the inspector speaks plain HTTP on loopback) and
//     redirects (303) to the same address without the token, so that it
//     leaves the address bar and the history. The cookie holds a second
//     secret of the process, never the token itself.
//
// A request with neither (the page, its script and style, the live list,
// a delivery's detail, an action) gets 401 and a short text that says to
// open the address serve logged. Both secrets are compared in constant
// time (crypto/subtle), and both end with the process: after a restart the
// page must be opened again from the new address.
//
// "One-time" means one per process start, not one use: the token may be
// traded any number of times while the process runs. A second browser,
// a private window or a browser whose cookies were cleared then works
// from the same log line, and no prefetch, retry or reload can use up the
// only way in and lock the user out until a restart. A token that worked
// only once would keep out someone who reads serve's log after the first
// visit, but not before it: the log must be kept from other users either
// way, as its address is the key.
//
// A browser keeps cookies per host, not per port: it sends the session
// cookie (named after the inspector's port, so that two inspectors keep
// one each) to any server of the same loopback host that its user opens.
// HttpOnly keeps it from scripts, not from such a server; do not browse
// to loopback servers of other users with the inspector's browser.
//
// The actions (POST) need more than the cookie: the page's own action
// token in [HeaderToken], an Origin (when the browser sends one) that is
// the inspector's own, and no Sec-Fetch-Site of "cross-site" or
// "same-site". A browser sends a SameSite=Strict cookie with requests
// from pages of every port of the same host, so the cookie alone cannot
// tell the inspector's page from another local server's; the action token
// can, as only a page that may read the inspector's answers learns it.
// Every request must also name a loopback host in its Host header, which
// keeps DNS rebinding out.
package inspect

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/bankhook/bankhook"
)

// Defaults of [Options].
const (
	// DefaultCapacity is how many deliveries are kept by default.
	DefaultCapacity = 500
	// DefaultMaxBytes bounds by default the requests, answers and lines
	// kept for the detail view and Replay.
	DefaultMaxBytes int64 = 64 << 20
)

// HeaderToken is the request header that carries the page's token on
// every action (POST), besides the session cookie. A page of another
// origin (another site, or another port of this host, which the cookie
// does not tell apart) cannot read the token, and cannot send a custom
// header without a CORS preflight the inspector never grants.
const HeaderToken = "X-Bankhook-Inspector-Token"

// Bank is one bank endpoint of serve, as the inspector sees it.
type Bank struct {
	// Name is the bank's name in the list and the filters: "bunq",
	// "bankhub". Required.
	Name string
	// Path is the endpoint's path, where samples are sent. Required.
	Path string
	// SampleNames lists the bank's built-in samples. Nil means none.
	SampleNames func() []string
	// Sample returns a built-in sample's body. Nil means none.
	Sample func(name string) ([]byte, bool)
}

// Options configures [New].
type Options struct {
	// Banks are serve's bank endpoints. At least one is required.
	Banks []Bank
	// Token is the URL token a sample is sent with (the first one serve
	// accepts). Default none: samples carry no token.
	Token string
	// TokenParam is the query parameter of the URL token, hidden in the
	// detail view. Default bankhook.DefaultTokenParam.
	TokenParam string
	// Line returns the output line of the event the pipeline decoded for
	// the request in ctx, and false when there is none. It is asked for a
	// delivery whose line the sink did not build (a duplicate answered
	// from the dedupe store, an event rejected after decoding), so that
	// the detail view shows the same JSON for every event. Default: such
	// deliveries show no line.
	Line func(ctx context.Context) ([]byte, bool)
	// Capacity is how many deliveries are kept. Default
	// [DefaultCapacity].
	Capacity int
	// MaxBytes bounds the requests, answers and lines kept. Default
	// [DefaultMaxBytes]. The newest delivery keeps its own even when it
	// alone is larger.
	MaxBytes int64
	// Now is the clock of the deliveries' times and durations. Default
	// time.Now.
	Now func() time.Time
}

// Inspector keeps the latest deliveries, tells the pages that watch, and
// serves the page and its actions (see [Inspector.Handler]).
//
// An Inspector is safe for concurrent use. A nil *Inspector watches
// nothing: Watch returns the handler it is given and Observer returns
// nil. The zero value is not usable; use [New].
type Inspector struct {
	o       Options
	access  string // the access token of the address serve logs, new for every process
	session string // the session cookie's value, new for every process
	token   string // the page's action token, new for every process
	boot    string // names this process in event ids, so a page notices a restart
	banks   map[string]Bank

	mu     sync.Mutex // guards ring, subs and closed; never held while writing to a client
	ring   ring
	subs   map[*subscriber]struct{}
	closed bool
}

// New returns an Inspector, or an error naming the option that is wrong.
func New(o Options) (*Inspector, error) {
	if len(o.Banks) == 0 {
		return nil, errors.New("bankhook: inspector: no bank endpoint")
	}
	banks := make(map[string]Bank, len(o.Banks))
	for _, b := range o.Banks {
		switch {
		case b.Name == "" || b.Path == "":
			return nil, fmt.Errorf("bankhook: inspector: bank %+v needs a name and a path", b)
		case banks[b.Name].Name != "":
			return nil, fmt.Errorf("bankhook: inspector: bank %q given twice", b.Name)
		}
		banks[b.Name] = b
	}
	switch {
	case o.Capacity < 0:
		return nil, fmt.Errorf("bankhook: inspector: negative capacity %d", o.Capacity)
	case o.Capacity == 0:
		o.Capacity = DefaultCapacity
	}
	switch {
	case o.MaxBytes < 0:
		return nil, fmt.Errorf("bankhook: inspector: negative byte budget %d", o.MaxBytes)
	case o.MaxBytes == 0:
		o.MaxBytes = DefaultMaxBytes
	}
	if o.TokenParam == "" {
		o.TokenParam = bankhook.DefaultTokenParam
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Inspector{
		o:       o,
		access:  rand.Text(),
		session: rand.Text(),
		token:   rand.Text(),
		boot:    rand.Text()[:8],
		banks:   banks,
		ring:    newRing(o.Capacity, o.MaxBytes),
		subs:    map[*subscriber]struct{}{},
	}, nil
}

// Close ends every live stream and refuses new ones, so that an
// http.Server serving [Inspector.Handler] can shut down (a stream
// otherwise lasts as long as its page). Deliveries are still kept.
// Close is idempotent.
func (i *Inspector) Close() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.closed = true
	for s := range i.subs {
		s.drop()
	}
	clear(i.subs)
}

// now returns the inspector's time.
func (i *Inspector) now() time.Time { return i.o.Now() }

// keep stores d under the next id and tells every live stream.
func (i *Inspector) keep(d *delivery) uint64 {
	i.mu.Lock()
	defer i.mu.Unlock()
	id := i.ring.add(d)
	d.frame = frame(i.boot, id, d.data)
	for s := range i.subs {
		if !s.offer(d.frame) {
			delete(i.subs, s)
		}
	}
	return id
}

// lookup returns the summary and the kept part (nil when given up) of
// delivery id, and false when it is no longer kept at all.
func (i *Inspector) lookup(id uint64) (Summary, *kept, bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	d := i.ring.get(id)
	if d == nil {
		return Summary{}, nil, false
	}
	return d.summary, d.kept, true
}

// Deliveries returns the summaries of the deliveries kept, newest first.
func (i *Inspector) Deliveries() []Summary {
	i.mu.Lock()
	defer i.mu.Unlock()
	list := make([]Summary, 0, i.ring.len())
	i.ring.newestFirst(func(d *delivery) { list = append(list, d.summary) })
	return list
}
