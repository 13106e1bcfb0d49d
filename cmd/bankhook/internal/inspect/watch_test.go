package inspect

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook/bankhub"
	"github.com/bankhook/bankhook/bunq"
)

// TestWatchChangesNoAnswer serves the same requests with and without
// Watch: the answers must be the same, byte for byte.
func TestWatchChangesNoAnswer(t *testing.T) {
	insp, err := New(Options{Banks: []Bank{{Name: "x", Path: "/x"}}})
	require.NoError(t, err)
	handlers := map[string]http.HandlerFunc{
		"nothing written": func(http.ResponseWriter, *http.Request) {},
		"status only":     func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusAccepted) },
		"headers and body": func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/problem+json")
			w.Header().Set("Retry-After", "60")
			w.WriteHeader(http.StatusConflict)
			_, _ = w.Write([]byte(`{"reason":"in_flight"}`))
		},
		"large body": func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write(bytes.Repeat([]byte("a"), maxAnswer+100))
		},
		"reads the body": func(w http.ResponseWriter, r *http.Request) {
			var b bytes.Buffer
			_, _ = b.ReadFrom(r.Body)
			_, _ = w.Write(b.Bytes())
		},
	}
	for name, h := range handlers {
		t.Run(name, func(t *testing.T) {
			want := httptest.NewRecorder()
			h.ServeHTTP(want, httptest.NewRequest(http.MethodPost, "/x", strings.NewReader("body")))
			got := httptest.NewRecorder()
			insp.Watch("x", h).ServeHTTP(got, httptest.NewRequest(http.MethodPost, "/x", strings.NewReader("body")))
			assert.Equal(t, want.Code, got.Code)
			assert.Equal(t, want.Header(), got.Header())
			assert.Equal(t, want.Body.String(), got.Body.String())
		})
	}

	list := insp.Deliveries()
	require.Len(t, list, len(handlers))
	for _, s := range list {
		assert.NotZero(t, s.Status)
		assert.Equal(t, "192.0.2.1", s.Sender, "without the pipeline, the peer's address")
	}
}

func TestWatchRecordsTheAnswer(t *testing.T) {
	insp, err := New(Options{Banks: []Bank{{Name: "x", Path: "/x"}}})
	require.NoError(t, err)
	insp.Watch("x", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write(bytes.Repeat([]byte("a"), maxAnswer))
		_, _ = w.Write([]byte("more"))
	})).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/x", nil))
	_, k, ok := insp.lookup(1)
	require.True(t, ok)
	assert.Len(t, k.answerBody, maxAnswer, "at most 64 KiB kept")
	assert.True(t, k.answerTruncated)

	// A handler that panics: no answer (net/http drops the connection),
	// and the delivery is still kept.
	assert.Panics(t, func() {
		insp.Watch("x", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })).
			ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/x", nil))
	})
	s, _, ok := insp.lookup(2)
	require.True(t, ok)
	assert.Zero(t, s.Status)
}

func TestNilInspector(t *testing.T) {
	var insp *Inspector
	h := http.NewServeMux()
	assert.Same(t, h, insp.Watch("bunq", h), "a nil Inspector watches nothing")
	assert.Nil(t, insp.Observer())
}

func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		bank, name string
		want       EventView
	}{
		{"bunq", "CARD_TRANSACTION_SUCCESSFUL", EventView{Category: "CARD_TRANSACTION_SUCCESSFUL", EventType: "CARD_PAYMENT_ALLOWED", ObjectType: "MasterCardAction"}},
		{"bunq", "REQUEST", EventView{Category: "REQUEST", EventType: "REQUEST_RESPONSE_CREATED", ObjectType: "RequestResponse"}},
		{"bankhub", "GRANT_ERROR", EventView{Category: "GRANT", EventType: "ERROR", ObjectType: "grant_error"}},
	} {
		t.Run(tc.bank+" "+tc.name, func(t *testing.T) {
			var got *EventView
			switch tc.bank {
			case "bunq":
				n, err := bunq.Decode(sample(t, "bunq", tc.name))
				require.NoError(t, err)
				got = describe(n)
			case "bankhub":
				w, err := bankhub.Decode(sample(t, "bankhub", tc.name))
				require.NoError(t, err)
				got = describe(w)
			}
			require.NotNil(t, got)
			assert.Equal(t, tc.want.Category, got.Category)
			assert.Equal(t, tc.want.EventType, got.EventType)
			assert.Equal(t, tc.want.ObjectType, got.ObjectType)
			for _, a := range got.Amounts {
				assert.NotEmpty(t, a.Field)
				assert.Regexp(t, `^-?\d+(\.\d+)? [A-Z]{3}$`, a.Text, "amount %s", a.Field)
			}
		})
	}

	n, err := bunq.Decode(sample(t, "bunq", "CARD_TRANSACTION_SUCCESSFUL"))
	require.NoError(t, err)
	a := n.Object.(*bunq.MasterCardAction)
	got := describe(n)
	require.NotEmpty(t, got.Amounts)
	assert.Equal(t, Amount{"amount_local", a.AmountLocal.String()}, got.Amounts[0], "field order, the JSON name")
}
