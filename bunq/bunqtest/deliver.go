package bunqtest

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bunq"
	"github.com/go-json-experiment/json"
)

// delivery is one event on its way to one callback URL.
type delivery struct {
	user      *user
	target    string
	filters   []bunq.NotificationFilter // the filters the event matched for target
	category  bunq.Category
	eventType bunq.EventType
	objectID  int64
	body      []byte
	attempts  int       // attempts made so far
	due       time.Time // when the next attempt is made
}

// failure is a delivery bunq gave up on after its sixth attempt.
type failure struct {
	id           int64
	created      time.Time
	d            *delivery
	exception    string
	responseCode int // 0: no answer
}

// outcome is what one attempt got.
type outcome struct {
	status int   // the answer's status; 0 when there was none
	err    error // why there was no answer
}

func (o outcome) ok() bool { return o.err == nil && bankhook.Acknowledged(o.status) }

// errPinMismatch fails an attempt whose server does not present a pinned
// certificate.
var errPinMismatch = errors.New("the server does not present a pinned certificate")

// pinsKey carries a delivery's pinned leaves to the TLS dialer.
type pinsKey struct{}

// newDeliveryClient returns the client callbacks are sent with. Every
// attempt dials anew, so the user's pinned certificates are checked on
// each one, as bunq does.
func (s *Server) newDeliveryClient() *http.Client {
	base := new(tls.Config)
	if s.opts.DeliveryTLS != nil {
		base = s.opts.DeliveryTLS.Clone()
	}
	dialer := &net.Dialer{Timeout: s.opts.DeliveryTimeout}
	tr := &http.Transport{
		DisableKeepAlives: true,
		DialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			cfg := base.Clone()
			if cfg.ServerName == "" {
				if host, _, err := net.SplitHostPort(addr); err == nil {
					cfg.ServerName = host
				}
			}
			if leaves, _ := ctx.Value(pinsKey{}).([][]byte); len(leaves) > 0 {
				verify := cfg.VerifyConnection
				cfg.VerifyConnection = func(cs tls.ConnectionState) error {
					if verify != nil {
						if err := verify(cs); err != nil {
							return err
						}
					}
					if len(cs.PeerCertificates) > 0 && slices.ContainsFunc(leaves, func(l []byte) bool {
						return bytes.Equal(l, cs.PeerCertificates[0].Raw)
					}) {
						return nil
					}
					return errPinMismatch
				}
			}
			d := tls.Dialer{NetDialer: dialer, Config: cfg}
			return d.DialContext(ctx, network, addr)
		},
	}
	return &http.Client{
		Transport: tr,
		Timeout:   s.opts.DeliveryTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // a redirect is an answer that is not 2xx
		},
	}
}

// Pay makes a payment on a monetary account and has bunq report it: a
// MUTATION callback (MUTATION_CREATED for an outgoing payment,
// MUTATION_RECEIVED for an incoming one) and a PAYMENT callback
// (PAYMENT_CREATED or PAYMENT_RECEIVED) go to every matching URL filter of
// the account and of its user. amount is a decimal string in euro,
// negative for outgoing payments ("-12.50"). The callbacks go out when the
// clock next advances ([Server.Advance], Advance(0) for now).
func (s *Server) Pay(accountID int64, amount, description string) (*bunq.Payment, error) {
	value, err := bankhook.ParseDecimal(amount)
	if err != nil {
		return nil, fmt.Errorf("bunqtest: Pay: amount: %w", err)
	}
	if value.IsZero() {
		return nil, errors.New("bunqtest: Pay: amount is zero")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[accountID]
	if a == nil {
		return nil, fmt.Errorf("bunqtest: Pay: no monetary account %d", accountID)
	}
	s.ids.payment++
	now := bunq.Time{Time: s.now}
	p := &bunq.Payment{
		ID: 10000 + s.ids.payment, Created: now, Updated: now, MonetaryAccountID: accountID,
		Amount: bunq.Amount{Value: value, Currency: "EUR"}, Description: description,
		Type: "BUNQ", SubType: "PAYMENT",
	}
	mutation, payment := bunq.EventMutationReceived, bunq.EventPaymentReceived
	if value.Sign() < 0 {
		mutation, payment = bunq.EventMutationCreated, bunq.EventPaymentCreated
	}
	if _, err := s.notifyLocked(a.user, a, bunq.CategoryMutation, mutation, p); err != nil {
		return nil, err
	}
	if _, err := s.notifyLocked(a.user, a, bunq.CategoryPayment, payment, p); err != nil {
		return nil, err
	}
	return p, nil
}

// Notify has bunq report an event: obj under category and eventType goes
// to every URL filter of the user, and of its monetary account accountID
// (0 for none), subscribed to category, once per callback URL. It returns
// how many callbacks were scheduled; they go out when the clock next
// advances.
func (s *Server) Notify(userID, accountID int64, category bunq.Category, eventType bunq.EventType, obj bunq.Object) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[userID]
	if u == nil {
		return 0, fmt.Errorf("bunqtest: Notify: no user %d", userID)
	}
	var a *account
	if accountID != 0 {
		if a = u.accounts[accountID]; a == nil {
			return 0, fmt.Errorf("bunqtest: Notify: user %d has no monetary account %d", userID, accountID)
		}
	}
	return s.notifyLocked(u, a, category, eventType, obj)
}

func (s *Server) notifyLocked(u *user, a *account, category bunq.Category, eventType bunq.EventType, obj bunq.Object) (int, error) {
	raw, err := json.Marshal(obj)
	if err != nil {
		return 0, fmt.Errorf("bunqtest: encoding the %s: %w", obj.ObjectType(), err)
	}
	var ident struct {
		ID int64 `json:"id"`
	}
	_ = json.Unmarshal(raw, &ident) // an object without a numeric id is listed with object_id 0

	lists := []*filterList{&u.filters}
	if a != nil {
		lists = append(lists, &a.filters)
	}
	var targets []string
	matched := map[string][]bunq.NotificationFilter{}
	for _, l := range lists {
		for _, f := range l.filters {
			if f.category != category {
				continue
			}
			if matched[f.target] == nil {
				targets = append(targets, f.target)
			}
			matched[f.target] = append(matched[f.target], bunq.NotificationFilter{
				NotificationDeliveryMethod: bunq.DeliveryURL, NotificationTarget: f.target, Category: f.category,
			})
		}
	}
	for _, t := range targets {
		body, err := json.Marshal(&bunq.Notification{TargetURL: t, Category: category, EventType: eventType, Object: obj})
		if err != nil {
			return 0, fmt.Errorf("bunqtest: encoding the callback: %w", err)
		}
		s.pending = append(s.pending, &delivery{
			user: u, target: t, filters: matched[t], category: category, eventType: eventType,
			objectID: ident.ID, body: body, due: s.now,
		})
	}
	return len(targets), nil
}

// Advance moves the stand-in's clock forward by d and makes every callback
// attempt that falls due meanwhile, in time order, as bunq would: the
// first attempt when the event happens, then up to 5 retries one minute
// apart ([bunq.RetrySchedule]) until one is answered 2xx. After the sixth
// failed attempt the callback is listed under notification-filter-failure.
// Attempts due at the same time are made concurrently; the clock stands
// at their due time while they run. Advance returns when they are all
// answered, with the number of attempts made; Advance(0) makes the ones
// due now. A negative d counts as 0; the clock keeps whole microseconds,
// as bunq's times do.
//
// Advance calls run one at a time.
func (s *Server) Advance(d time.Duration) int {
	s.advanceMu.Lock()
	defer s.advanceMu.Unlock()
	s.mu.Lock()
	end := s.now.Add(max(d, 0)).Truncate(time.Microsecond)
	s.mu.Unlock()
	attempts := 0
	for {
		s.mu.Lock()
		batch := s.takeDueLocked(end)
		if len(batch) == 0 {
			s.now = end
			s.mu.Unlock()
			return attempts
		}
		s.now = batch[0].due
		pins := make([][][]byte, len(batch))
		for i, d := range batch {
			for _, p := range d.user.pins {
				pins[i] = append(pins[i], p.leaf)
			}
		}
		s.mu.Unlock()

		outcomes := s.attemptAll(batch, pins)

		s.mu.Lock()
		logs := make([]attemptLog, len(batch))
		for i, d := range batch {
			logs[i] = s.settleLocked(d, outcomes[i])
		}
		s.mu.Unlock()
		for _, l := range logs {
			l.log(s.opts.Logger)
		}
		attempts += len(batch)
	}
}

// takeDueLocked removes and returns the deliveries due earliest, if that
// is no later than end.
func (s *Server) takeDueLocked(end time.Time) []*delivery {
	if s.closed || len(s.pending) == 0 {
		return nil
	}
	earliest := s.pending[0].due
	for _, d := range s.pending[1:] {
		if d.due.Before(earliest) {
			earliest = d.due
		}
	}
	if earliest.After(end) {
		return nil
	}
	var batch []*delivery
	rest := s.pending[:0]
	for _, d := range s.pending {
		if d.due.Equal(earliest) {
			batch = append(batch, d)
		} else {
			rest = append(rest, d)
		}
	}
	clear(s.pending[len(rest):])
	s.pending = rest
	return batch
}

// attemptLog is what Options.Logger is told of one attempt.
type attemptLog struct {
	host      string
	category  bunq.Category
	eventType bunq.EventType
	objectID  int64
	attempt   int
	o         outcome
	failureID int64 // the failure it was listed as; 0 when not
}

func (l attemptLog) log(logger *slog.Logger) {
	attrs := []any{"host", l.host, "category", l.category, "event_type", l.eventType, "object_id", l.objectID, "attempt", l.attempt}
	switch {
	case l.o.ok():
		logger.Info("bunqtest: callback delivered", append(attrs, "status", l.o.status)...)
	case l.failureID != 0:
		logger.Warn("bunqtest: callback failed for good; listed under notification-filter-failure", append(attrs, "status", l.o.status, "err", l.o.err, "failure_id", l.failureID)...)
	default:
		logger.Info("bunqtest: callback failed; retrying in a minute", append(attrs, "status", l.o.status, "err", l.o.err)...)
	}
}

// settleLocked counts an attempt: done when answered 2xx, else retried on
// bunq's schedule or, after the last attempt, listed as a failure.
func (s *Server) settleLocked(d *delivery, o outcome) attemptLog {
	d.attempts++
	l := attemptLog{host: hostOf(d.target), category: d.category, eventType: d.eventType, objectID: d.objectID, attempt: d.attempts, o: o}
	if o.ok() {
		return l
	}
	if d.attempts < bunq.RetrySchedule().Attempts() {
		d.due = s.now.Add(bunq.RetrySchedule().Delays[d.attempts-1])
		s.pending = append(s.pending, d)
		return l
	}
	s.ids.failure++
	l.failureID = s.ids.failure
	f := &failure{id: s.ids.failure, created: s.now, d: d, responseCode: o.status}
	if o.err != nil {
		f.exception = o.err.Error()
	} else {
		f.exception = fmt.Sprintf("The callback URL answered %d.", o.status)
	}
	d.user.failures = append(d.user.failures, f)
	return l
}

// hostOf is the host of a callback URL, for a log line that must not
// repeat the URL's query.
func hostOf(target string) string {
	u, err := url.Parse(target)
	if err != nil {
		return "?"
	}
	return u.Host
}

// attemptAll makes one attempt of each delivery, DeliveryConcurrency at a
// time.
func (s *Server) attemptAll(batch []*delivery, pins [][][]byte) []outcome {
	out := make([]outcome, len(batch))
	sem := make(chan struct{}, s.opts.DeliveryConcurrency)
	var wg sync.WaitGroup
	for i, d := range batch {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			out[i] = s.attempt(d, pins[i])
		})
	}
	wg.Wait()
	return out
}

// attempt POSTs the callback once.
func (s *Server) attempt(d *delivery, pins [][]byte) outcome {
	ctx := context.WithValue(context.Background(), pinsKey{}, pins)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.target, bytes.NewReader(d.body))
	if err != nil {
		return outcome{err: errors.New("the callback URL is not valid")}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "bunqtest-callback")
	resp, err := s.delivery.Do(req)
	if err != nil {
		// The URL may hold a secret token: report the cause only.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return outcome{err: err}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	return outcome{status: resp.StatusCode}
}

// Pending returns the number of callbacks waiting for their next attempt.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

// Failures returns the user's failed callbacks as the API lists them,
// oldest first.
func (s *Server) Failures(userID int64) []bunq.NotificationFilterFailure {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[userID]
	if u == nil {
		return nil
	}
	out := make([]bunq.NotificationFilterFailure, len(u.failures))
	for i, f := range u.failures {
		out[i] = f.object()
	}
	return out
}

func (f *failure) object() bunq.NotificationFilterFailure {
	t := bunq.Time{Time: f.created}
	return bunq.NotificationFilterFailure{
		ID: f.id, Created: t, Updated: t, Category: f.d.category, EventType: f.d.eventType,
		ObjectID: f.d.objectID, ExceptionMessage: f.exception, ResponseCode: f.responseCode,
		NotificationFilters: slices.Clone(f.d.filters), NotificationTarget: f.d.target,
	}
}
