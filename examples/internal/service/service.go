// Package service is what the example programs share: their settings,
// read from the environment, the bunq and bankHub receivers, the ledger
// those book payments in, and the http.Server that serves them. Only the
// framework wiring differs from one program to the next; it is each
// program's main.go.
package service

import (
	"cmp"
	"context"
	"fmt"
	"log"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/bankhook/bankhook/bankhub"
	"github.com/bankhook/bankhook/bunq"
)

// Config is what an example reads from its environment. With no token
// and no proxy, bankhook accepts the banks' published addresses only,
// connecting directly. A Config is plain data.
type Config struct {
	// Addr is the address to listen on (ADDR, ":8080" when unset).
	Addr string
	// BunqTokens are the accepted URL tokens of bunq callbacks
	// (BUNQ_CALLBACK_TOKEN, comma-separated during a rotation): bunq is
	// subscribed to https://…/webhooks/bunq?token=SECRET. Default none.
	BunqTokens []string
	// BankhubTokens are the accepted URL tokens of bankHub webhooks
	// (BANKHUB_WEBHOOK_TOKEN). Default none.
	BankhubTokens []string
	// TrustedProxies are your load balancers as CIDR prefixes
	// (TRUSTED_PROXIES, comma-separated; "10.0.0.0/8", "127.0.0.1/32"):
	// only from them is X-Forwarded-For believed. Default none: the TCP
	// peer is the sender.
	TrustedProxies []string
}

// FromEnv reads a Config through getenv (os.Getenv in a program). A bare
// address in TRUSTED_PROXIES becomes a one-address prefix, so that every
// framework's own setting (some take prefixes only) can be given the same
// list; the error names an entry that is neither.
func FromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{
		Addr:          cmp.Or(getenv("ADDR"), ":8080"),
		BunqTokens:    list(getenv("BUNQ_CALLBACK_TOKEN")),
		BankhubTokens: list(getenv("BANKHUB_WEBHOOK_TOKEN")),
	}
	for _, p := range list(getenv("TRUSTED_PROXIES")) {
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			addr, aerr := netip.ParseAddr(p)
			if aerr != nil {
				return Config{}, fmt.Errorf("service: TRUSTED_PROXIES entry %q is neither a CIDR prefix nor an address: %w", p, err)
			}
			prefix = netip.PrefixFrom(addr.WithZone(""), addr.BitLen())
		}
		cfg.TrustedProxies = append(cfg.TrustedProxies, prefix.Masked().String())
	}
	return cfg, nil
}

// list splits a comma-separated variable, dropping empty entries, so that
// an unset variable is no entry rather than one empty one.
func list(s string) []string {
	var out []string
	for v := range strings.SplitSeq(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Receivers returns the bunq and bankHub receivers, each booking the
// payments it is told of in l: bunq's MUTATION callbacks (every change of
// an account's balance) and bankHub's new transactions. Other events are
// acknowledged and logged. Senders are the banks' published addresses,
// seen through cfg.TrustedProxies.
func Receivers(cfg Config, l *Ledger) (bunqHandler, bankhubHandler http.Handler, err error) {
	bc := bunq.Config{Routes: []bunq.Route{
		bunq.On(func(_ context.Context, n *bunq.Notification, p *bunq.Payment) error {
			if n.Category != bunq.CategoryMutation {
				return nil // every payment also comes as a MUTATION: booked there
			}
			return l.Book(Entry{
				Bank:        "bunq",
				ID:          strconv.FormatInt(p.ID, 10),
				Amount:      p.Amount.Value,
				Currency:    p.Amount.Currency,
				Description: p.Description,
			})
		}),
	}}
	bc.Tokens = cfg.BunqTokens
	bc.TrustedProxies = cfg.TrustedProxies
	if bunqHandler, err = bunq.NewReceiver(bc); err != nil {
		return nil, nil, err
	}

	hc := bankhub.Config{Routes: []bankhub.Route{
		bankhub.On(func(_ context.Context, _ *bankhub.Webhook, e *bankhub.NewTransaction) error {
			t := e.Transaction
			return l.Book(Entry{
				Bank:        "bankhub",
				ID:          t.ID,
				Amount:      t.Amount,
				Currency:    t.Currency,
				Description: t.Description,
			})
		}),
	}}
	hc.Tokens = cfg.BankhubTokens
	hc.TrustedProxies = cfg.TrustedProxies
	if bankhubHandler, err = bankhub.NewReceiver(hc); err != nil {
		return nil, nil, err
	}
	return bunqHandler, bankhubHandler, nil
}

// Serve is the main function of a program whose routes are an
// http.Handler: it reads the Config from the environment, builds routes
// around a Ledger writing to stdout, and serves them on Config.Addr with
// Server. It returns only by exiting the program, logging why.
func Serve(routes func(Config, *Ledger) (http.Handler, error)) {
	cfg, err := FromEnv(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	h, err := routes(cfg, NewLedger(os.Stdout))
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(Server(cfg, h).ListenAndServe())
}

// Server returns an http.Server for h on cfg.Addr with timeouts that suit
// a webhook receiver: headers within 5 s, the whole request within 10 s,
// and the answer written within 35 s, above the receivers' 25 s handler
// deadline, so the answer to a handler that ran out of time still
// reaches the bank.
func Server(cfg Config, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              cfg.Addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      35 * time.Second,
		IdleTimeout:       time.Minute,
	}
}
