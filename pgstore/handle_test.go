package pgstore_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bankhub"
	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/hooktest"
	"github.com/bankhook/bankhook/hooktest/samples"
	"github.com/bankhook/bankhook/pgstore"
	"github.com/bankhook/bankhook/pgstore/pgtest"
)

// quiet is the logger of the receivers under test.
var quiet = slog.New(slog.DiscardHandler)

// createPayments creates the payments table of the tests: no unique
// constraint, so that a payment booked twice shows as two rows.
func createPayments(t testing.TB, pool *pgxpool.Pool) {
	t.Helper()
	_, err := pool.Exec(context.Background(), `CREATE TABLE payments (
		event_key text NOT NULL, bunq_id bigint NOT NULL, amount numeric NOT NULL, currency text NOT NULL)`)
	require.NoError(t, err)
}

// bookPayment inserts the notification's payment into payments.
func bookPayment(ctx context.Context, tx pgx.Tx, n *bunq.Notification) error {
	p, ok := n.Object.(*bunq.Payment)
	if !ok {
		return errors.New("not a payment")
	}
	_, err := tx.Exec(ctx, `INSERT INTO payments VALUES ($1, $2, $3, $4)`,
		n.IdempotencyKey(), p.ID, p.Amount.Value.String(), p.Amount.Currency)
	return err
}

// paymentBody is bunq's PAYMENT sample with the payment's id set to id.
func paymentBody(t testing.TB, id int) []byte {
	t.Helper()
	body, ok := samples.Bunq("PAYMENT")
	require.True(t, ok)
	out := bytes.Replace(body, []byte(`"id": 2938502,`), []byte(`"id": `+strconv.Itoa(id)+`,`), 1)
	require.NotEqual(t, body, out, "the sample's payment id")
	return out
}

// paymentDelivery is the PAYMENT sample for payment id, from bunq.
func paymentDelivery(t testing.TB, id int) *hooktest.Delivery {
	t.Helper()
	d := hooktest.NewDelivery("/bunq", paymentBody(t, id))
	d.RemoteAddr = hooktest.BunqAddr
	d.Label = strconv.Itoa(id)
	return d
}

// bunqReceiver is a bunq receiver over store, failing closed, with
// handler as Config.Handler, reporting to obs (none when nil). Its rate
// limit is lifted: the load tests send from one address.
func bunqReceiver(t testing.TB, store bankhook.Store, handler func(context.Context, *bunq.Notification) error, obs bankhook.Observer) http.Handler {
	t.Helper()
	cfg := bunq.Config{Handler: handler}
	cfg.Dedupe = bankhook.DedupeOptions{Store: store, FailClosed: true}
	cfg.Logger = quiet
	cfg.Observer = obs
	cfg.RateLimit.Rate, cfg.RateLimit.Burst = 1e9, 1e9
	if obs == nil {
		cfg.Observer = bankhook.ObserverFuncs{}
	}
	h, err := bunq.NewReceiver(cfg)
	require.NoError(t, err)
	return h
}

func serve(h http.Handler, d *hooktest.Delivery) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, d.Request())
	return rec
}

// TestHandleReceivers: Handle works in every kind of receiver — bunq's
// Handler and On routes, bankHub's Handler and On routes, and
// bankhook.NewReceiver — each booking its event once and answering the
// retry from the database.
func TestHandleReceivers(t *testing.T) {
	pool := pgtest.Pool(t)
	store := newStore(t, pool, pgstore.Options{})
	_, err := pool.Exec(t.Context(), `CREATE TABLE booked (receiver text NOT NULL, event_key text NOT NULL)`)
	require.NoError(t, err)
	book := func(name string) func(context.Context, pgx.Tx, bankhook.Event) error {
		return func(ctx context.Context, tx pgx.Tx, e bankhook.Event) error {
			_, err := tx.Exec(ctx, `INSERT INTO booked VALUES ($1, $2)`, name, e.IdempotencyKey())
			return err
		}
	}
	bunqHandle := func(name string) func(context.Context, *bunq.Notification) error {
		b := book(name)
		return pgstore.Handle(store, func(ctx context.Context, tx pgx.Tx, n *bunq.Notification) error { return b(ctx, tx, n) })
	}
	bankhubHandle := func(name string) func(context.Context, *bankhub.Webhook) error {
		b := book(name)
		return pgstore.Handle(store, func(ctx context.Context, tx pgx.Tx, w *bankhub.Webhook) error { return b(ctx, tx, w) })
	}
	dedupe := bankhook.DedupeOptions{Store: store, FailClosed: true}
	// The dedupe stage's Complete finds the key marked by the handler's
	// transaction: no error, no lost lease.
	obs := bankhook.ObserverFuncs{OnStoreFailed: func(_ *http.Request, f bankhook.StoreFailure) {
		t.Errorf("store failure reported: %s %q: %v", f.Op, f.Key, f.Err)
	}}
	bunqBody := func(id int) []byte { return paymentBody(t, id) }
	bankhubBody := func(id int) []byte {
		body, ok := samples.Bankhub("TRANSACTIONS_DEFAULT_UPDATE")
		require.True(t, ok)
		return bytes.Replace(body, []byte(`"b2e4c6a8-1d3f-4a5b-8c7d-9e0f1a2b3c4d"`), []byte(`"tx-`+strconv.Itoa(id)+`"`), 1)
	}

	for i, tc := range []struct {
		name string
		new  func(name string) (http.Handler, error)
		body func(id int) []byte
		from string
	}{
		{"bunq_handler", func(name string) (http.Handler, error) {
			cfg := bunq.Config{Handler: bunqHandle(name)}
			cfg.Dedupe, cfg.Logger, cfg.Observer = dedupe, quiet, obs
			return bunq.NewReceiver(cfg)
		}, bunqBody, hooktest.BunqAddr},
		{"bunq_on", func(name string) (http.Handler, error) {
			h := bunqHandle(name)
			cfg := bunq.Config{Routes: []bunq.Route{bunq.On(func(ctx context.Context, n *bunq.Notification, _ *bunq.Payment) error {
				return h(ctx, n)
			})}}
			cfg.Dedupe, cfg.Logger, cfg.Observer = dedupe, quiet, obs
			return bunq.NewReceiver(cfg)
		}, bunqBody, hooktest.BunqAddr},
		{"bankhub_handler", func(name string) (http.Handler, error) {
			cfg := bankhub.Config{Handler: bankhubHandle(name)}
			cfg.Dedupe, cfg.Logger, cfg.Observer = dedupe, quiet, obs
			return bankhub.NewReceiver(cfg)
		}, bankhubBody, hooktest.BankHubAddr},
		{"bankhub_on", func(name string) (http.Handler, error) {
			h := bankhubHandle(name)
			cfg := bankhub.Config{Routes: []bankhub.Route{bankhub.On(func(ctx context.Context, w *bankhub.Webhook, _ *bankhub.NewTransaction) error {
				return h(ctx, w)
			})}}
			cfg.Dedupe, cfg.Logger, cfg.Observer = dedupe, quiet, obs
			return bankhub.NewReceiver(cfg)
		}, bankhubBody, hooktest.BankHubAddr},
		{"new_receiver", func(name string) (http.Handler, error) {
			return bankhook.NewReceiver(bunq.Decode, bunqHandle(name), bankhook.ReceiverOptions{
				Allow: bankhook.MustIPAllowlist(bunq.ProductionRanges()...), Dedupe: dedupe, Logger: quiet, Observer: obs,
			})
		}, bunqBody, hooktest.BunqAddr},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := tc.new(tc.name)
			require.NoError(t, err)
			d := hooktest.NewDelivery("/hook", tc.body(1000+i))
			d.RemoteAddr = tc.from
			first := serve(h, d)
			require.Equal(t, http.StatusOK, first.Code, first.Body.String())
			assert.Empty(t, first.Header().Get(bankhook.HeaderIdempotentReplayed))
			retry := serve(h, d)
			assert.Equal(t, http.StatusOK, retry.Code)
			assert.Equal(t, "true", retry.Header().Get(bankhook.HeaderIdempotentReplayed), "answered from the database")
			var n int
			require.NoError(t, pool.QueryRow(t.Context(), `SELECT count(*) FROM booked WHERE receiver = $1`, tc.name).Scan(&n))
			assert.Equal(t, 1, n, "booked once")
		})
	}
}

// TestHandleRollsBack: a handler that books its payment and then fails,
// panics or claims success with an error leaves no row, and the key is
// released: the retry books exactly one.
func TestHandleRollsBack(t *testing.T) {
	pool := pgtest.Pool(t)
	store := newStore(t, pool, pgstore.Options{})
	createPayments(t, pool)
	errBroken := errors.New("ledger closed")
	for i, tc := range []struct {
		name  string
		fail  func() error
		want  int
		check func(t *testing.T, err error)
	}{
		{"error", func() error { return errBroken }, http.StatusInternalServerError,
			func(t *testing.T, err error) { assert.ErrorIs(t, err, errBroken) }},
		{"status_503", func() error { return &bankhook.StatusError{Status: 503, Err: errBroken} }, http.StatusServiceUnavailable,
			func(t *testing.T, err error) { assert.ErrorIs(t, err, errBroken) }},
		{"status_202", func() error { return &bankhook.StatusError{Status: 202, Err: errBroken} }, http.StatusInternalServerError,
			func(t *testing.T, err error) {
				var se *bankhook.StatusError
				require.ErrorAs(t, err, &se)
				assert.Equal(t, http.StatusInternalServerError, se.Status, "not acknowledged: rolled back")
				assert.ErrorIs(t, err, errBroken)
			}},
		{"panic", func() error { panic("ledger on fire") }, http.StatusInternalServerError,
			func(t *testing.T, err error) {
				var pe *bankhook.PanicError
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, "ledger on fire", pe.Value)
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var errs []error
			calls := 0
			handle := pgstore.Handle(store, func(ctx context.Context, tx pgx.Tx, n *bunq.Notification) error {
				calls++
				if err := bookPayment(ctx, tx, n); err != nil {
					return err
				}
				if calls == 1 {
					return tc.fail()
				}
				return nil
			})
			h := bunqReceiver(t, store, handle, bankhook.ObserverFuncs{
				OnRejected: func(_ *http.Request, rej bankhook.Rejection) { errs = append(errs, rej.Err) },
			})
			d := paymentDelivery(t, 2000+i)
			assert.Equal(t, tc.want, serve(h, d).Code)
			require.Len(t, errs, 1)
			tc.check(t, errs[0])
			var n int
			require.NoError(t, pool.QueryRow(t.Context(), `SELECT count(*) FROM payments WHERE bunq_id = $1`, 2000+i).Scan(&n))
			assert.Zero(t, n, "rolled back")

			assert.Equal(t, http.StatusOK, serve(h, d).Code, "the key was released: the retry is handled")
			assert.Equal(t, http.StatusOK, serve(h, d).Code)
			require.NoError(t, pool.QueryRow(t.Context(), `SELECT count(*) FROM payments WHERE bunq_id = $1`, 2000+i).Scan(&n))
			assert.Equal(t, 1, n, "booked once")
			assert.Equal(t, 2, calls)
		})
	}
}

// TestHandleNoReservation: without a reservation of its store, Handle
// refuses the event without running the function.
func TestHandleNoReservation(t *testing.T) {
	pool := pgtest.Pool(t)
	store := newStore(t, pool, pgstore.Options{})
	calls := 0
	handle := pgstore.Handle(store, func(context.Context, pgx.Tx, *bunq.Notification) error { calls++; return nil })
	var errs []error
	obs := bankhook.ObserverFuncs{OnRejected: func(_ *http.Request, rej bankhook.Rejection) { errs = append(errs, rej.Err) }}
	for _, tc := range []struct {
		name  string
		h     http.Handler
		error string
	}{
		{"no_dedupe", bankhook.Chain(bankhook.Handle(handle), bankhook.Observe(obs), bankhook.ReadBody(bankhook.BodyOptions{}), bankhook.Decode(bunq.Decode)),
			"pgstore: no reservation of this store for the request: the request holds none (no Dedupe stage, or its store failed and it fails open)"},
		{"other_store", bunqReceiver(t, bankhook.NewLRUStore(bankhook.LRUStoreOptions{}), handle, obs),
			`pgstore: no reservation of this store for the request: key "bunq:PAYMENT:PAYMENT_RECEIVED:Payment:3000@2025-03-14T10:01:02.5Z" is reserved in another store (*bankhook.LRUStore)`},
		{"fail_open", func() http.Handler {
			cfg := bunq.Config{Handler: handle}
			cfg.Dedupe = bankhook.DedupeOptions{Store: downStore{store}, Logger: quiet} // fails open
			cfg.Logger, cfg.Observer = quiet, obs
			h, err := bunq.NewReceiver(cfg)
			require.NoError(t, err)
			return h
		}(), "pgstore: no reservation of this store for the request: the request holds none (no Dedupe stage, or its store failed and it fails open)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs = nil
			assert.Equal(t, http.StatusInternalServerError, serve(tc.h, paymentDelivery(t, 3000)).Code)
			require.Len(t, errs, 1)
			assert.ErrorIs(t, errs[0], pgstore.ErrNoReservation)
			assert.EqualError(t, errs[0], tc.error)
			assert.Zero(t, calls, "never run without the mark")
		})
	}
}

// downStore is a store whose Reserve fails, as a database that is down.
type downStore struct{ *pgstore.Store }

func (downStore) Reserve(context.Context, string, time.Duration) (bankhook.Reservation, error) {
	return bankhook.Reservation{}, errors.New("connection refused")
}

// TestHandleLeaseLost: a handler that outlives its lease, and whose key
// another delivery took over meanwhile, has its transaction rolled back:
// only the delivery that holds the key books the payment.
func TestHandleLeaseLost(t *testing.T) {
	pool := pgtest.Pool(t)
	store := newStore(t, pool, pgstore.Options{})
	createPayments(t, pool)
	var errs []error
	slow := make(chan struct{}) // closed when the second delivery is done
	var calls atomic.Int32
	handle := pgstore.Handle(store, func(ctx context.Context, tx pgx.Tx, n *bunq.Notification) error {
		call := calls.Add(1)
		if err := bookPayment(ctx, tx, n); err != nil {
			return err
		}
		if call == 1 {
			<-slow
		}
		return nil
	})
	dedupe := bankhook.Dedupe(bankhook.DedupeOptions{Store: store, Lease: 300 * time.Millisecond, FailClosed: true, Logger: quiet})
	h := bankhook.Chain(bankhook.Handle(handle),
		bankhook.Observe(bankhook.ObserverFuncs{OnRejected: func(_ *http.Request, rej bankhook.Rejection) { errs = append(errs, rej.Err) }}),
		bankhook.ReadBody(bankhook.BodyOptions{}), bankhook.Decode(bunq.Decode), dedupe)
	d := paymentDelivery(t, 4000)

	first := make(chan int)
	go func() { first <- serve(h, d).Code }()
	// The second delivery waits, on the server's clock, until the first
	// one's lease has ended, and takes the key over.
	var second int
	for range 100 {
		_, err := pool.Exec(t.Context(), `SELECT pg_sleep(0.05)`)
		require.NoError(t, err)
		if second = serve(h, d).Code; second != http.StatusConflict {
			break
		}
	}
	assert.Equal(t, http.StatusOK, second, "taken over after the lease")
	close(slow)
	assert.Equal(t, http.StatusInternalServerError, <-first)
	require.NotEmpty(t, errs)
	assert.ErrorIs(t, errs[len(errs)-1], bankhook.ErrLeaseLost)
	var n int
	require.NoError(t, pool.QueryRow(t.Context(), `SELECT count(*) FROM payments`).Scan(&n))
	assert.Equal(t, 1, n, "only the holder's row")
	assert.Equal(t, "true", serve(h, d).Header().Get(bankhook.HeaderIdempotentReplayed))
}

func TestHandleNil(t *testing.T) {
	assert.PanicsWithValue(t, "pgstore: Handle: nil store or function", func() {
		pgstore.Handle[*bunq.Notification](nil, func(context.Context, pgx.Tx, *bunq.Notification) error { return nil })
	})
}
