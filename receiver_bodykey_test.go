package bankhook_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
)

// keyedReceiver is a receiver of dedupeEvents whose keys reader reads,
// counting decodes and recording what the handler saw and what the
// Observer heard. When hold is set, the handler tells started it runs,
// then waits on hold.
type keyedReceiver struct {
	h       http.Handler
	started chan struct{}

	mu       sync.Mutex // guards the fields below
	decoded  int
	handled  []string
	rejected []bankhook.Rejection
}

func newKeyedReceiver(t *testing.T, reader func([]byte) (string, bool), hold <-chan struct{}) *keyedReceiver {
	t.Helper()
	k := &keyedReceiver{started: make(chan struct{}, 1)}
	decode := func(body []byte) (*dedupeEvent, error) {
		k.mu.Lock()
		k.decoded++
		k.mu.Unlock()
		return decodeDedupeEvent(body)
	}
	h, err := bankhook.NewKeyedReceiver(decode, reader, func(ctx context.Context, e *dedupeEvent) error {
		if hold != nil {
			k.started <- struct{}{}
			<-hold
		}
		k.mu.Lock()
		defer k.mu.Unlock()
		k.handled = append(k.handled, e.ID)
		return nil
	}, bankhook.ReceiverOptions{
		Tokens:    []string{"s3cret"},
		RateLimit: bankhook.RateLimitOptions{Rate: 1e6, Burst: 1e6}, // one sender delivers everything
		Observer: bankhook.ObserverFuncs{OnRejected: func(r *http.Request, rej bankhook.Rejection) {
			k.mu.Lock()
			defer k.mu.Unlock()
			k.rejected = append(k.rejected, rej)
		}},
	})
	require.NoError(t, err)
	k.h = h
	return k
}

func (k *keyedReceiver) post(id string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/hook?token=s3cret", strings.NewReader(dedupeBody(id)))
	r.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	k.h.ServeHTTP(rec, r)
	return rec
}

func (k *keyedReceiver) counts() (decoded int, handled []string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.decoded, append([]string(nil), k.handled...)
}

// idReader reads dedupeEvent's key from {"id":"…"} exactly, as decode
// would give it.
func idReader(body []byte) (string, bool) {
	rest, ok := strings.CutPrefix(string(body), `{"id":"`)
	id, _, ok2 := strings.Cut(rest, `"`)
	if !ok || !ok2 || id == "" {
		return "", false
	}
	return "evt:" + id, true
}

// TestNewKeyedReceiver checks the contract of a key reader given to
// NewKeyedReceiver: a delivery whose key is in flight is answered 409 without
// being decoded, a duplicate is decoded and replayed only when its key
// agrees, and a reader that disagrees with decode is answered 500 (wrapping
// ErrKeyMismatch) for a new event and for a duplicate alike.
func TestNewKeyedReceiver(t *testing.T) {
	t.Run("agreeing reader", func(t *testing.T) {
		hold := make(chan struct{})
		k := newKeyedReceiver(t, idReader, hold)
		first := make(chan *httptest.ResponseRecorder)
		go func() { first <- k.post("a") }()
		<-k.started // the first delivery holds its key until hold is closed
		rec := k.post("a")
		assert.Equal(t, http.StatusConflict, rec.Code, "a retry of a delivery in flight")
		decoded, _ := k.counts()
		assert.Equal(t, 1, decoded, "a delivery in flight is not decoded")
		close(hold)
		require.Equal(t, http.StatusOK, (<-first).Code)

		assertReplayed(t, k.post("a"), http.StatusOK)
		decoded, handled := k.counts()
		assert.Equal(t, 2, decoded, "a duplicate is decoded, to compare its key")
		assert.Equal(t, []string{"a"}, handled)
	})
	t.Run("reader disagrees on a new event", func(t *testing.T) {
		k := newKeyedReceiver(t, func([]byte) (string, bool) { return "evt:wrong", true }, nil)
		rec := k.post("a")
		assert.Equal(t, http.StatusInternalServerError, rec.Code)
		_, handled := k.counts()
		assert.Empty(t, handled)
		require.Len(t, k.rejected, 1)
		assert.ErrorIs(t, k.rejected[0].Err, bankhook.ErrKeyMismatch)
		assert.ErrorContains(t, k.rejected[0].Err, `"evt:wrong"`)
		assert.ErrorContains(t, k.rejected[0].Err, `"evt:a"`)
		assert.Equal(t, http.StatusInternalServerError, k.post("a").Code, "the key was released: the retry is tried again, not answered 409")
	})
	t.Run("reader disagrees on a duplicate", func(t *testing.T) {
		// Right for "a", wrong for "a2": it gives "a2" the key of "a".
		k := newKeyedReceiver(t, func(body []byte) (string, bool) {
			key, ok := idReader(body)
			return strings.TrimSuffix(key, "2"), ok
		}, nil)
		require.Equal(t, http.StatusOK, k.post("a").Code)
		rec := k.post("a2")
		assert.Equal(t, http.StatusInternalServerError, rec.Code, "another event is never answered as a duplicate")
		assert.Empty(t, rec.Header().Get(bankhook.HeaderIdempotentReplayed))
		_, handled := k.counts()
		assert.Equal(t, []string{"a"}, handled)
		require.Len(t, k.rejected, 1)
		assert.ErrorIs(t, k.rejected[0].Err, bankhook.ErrKeyMismatch)
	})
}

// TestNewKeyedReceiverNeverReplaysAnotherEvent delivers 2,000 events, each
// twice and in a random order, to receivers whose key readers give a
// share of the events the key of another event, and checks the one rule:
// every 2xx answer is for an event the handler handled, once; and every
// event the reader reads right is acknowledged.
func TestNewKeyedReceiverNeverReplaysAnotherEvent(t *testing.T) {
	for _, wrongPercent := range []int{0, 10, 50} {
		t.Run(fmt.Sprintf("%d%% wrong", wrongPercent), func(t *testing.T) {
			const events = 2000
			rng := rand.New(rand.NewPCG(1, uint64(wrongPercent)))
			readAs := map[string]string{} // id → the key the reader gives it
			var deliveries []string
			for i := range events {
				id := fmt.Sprintf("e%d", i)
				readAs[id] = "evt:" + id
				if rng.IntN(100) < wrongPercent {
					readAs[id] = fmt.Sprintf("evt:e%d", rng.IntN(events))
				}
				deliveries = append(deliveries, id, id)
			}
			reader := func(body []byte) (string, bool) {
				key, ok := idReader(body)
				if !ok {
					return "", false
				}
				return readAs[strings.TrimPrefix(key, "evt:")], true
			}
			k := newKeyedReceiver(t, reader, nil)
			rng.Shuffle(len(deliveries), func(i, j int) { deliveries[i], deliveries[j] = deliveries[j], deliveries[i] })

			acked := map[string]bool{}
			for _, id := range deliveries {
				if rec := k.post(id); bankhook.Acknowledged(rec.Code) {
					acked[id] = true
				}
			}
			_, handled := k.counts()
			handledSet := map[string]bool{}
			for _, id := range handled {
				assert.False(t, handledSet[id], "handled twice: %s", id)
				handledSet[id] = true
			}
			right := 0
			for id, key := range readAs {
				if key == "evt:"+id {
					right++
					assert.True(t, acked[id], "%s, read right, was never acknowledged", id)
				}
			}
			for id := range acked {
				assert.True(t, handledSet[id], "%s was answered 2xx but never handled", id)
			}
			t.Logf("%d%% wrong: %d of %d events read right, %d acknowledged, %d handled", wrongPercent, right, events, len(acked), len(handled))
		})
	}
}
