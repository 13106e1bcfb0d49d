package output

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook/bankhub"
	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/hooktest/samples"
)

func TestMarshalLine(t *testing.T) {
	body := []byte("{\n  \"note\": \"caf\\u00e9 \\/ <b>\",\n  \"amount\": 123456789012345678.10,\n  \"list\": [ 1, 2 ]\n}\n")
	at := time.Date(2025, 3, 14, 10, 12, 44, 118230000, time.FixedZone("CET", 3600))
	b, err := Marshal(Line{
		Provider: "bunq", Key: "k", Category: "MUTATION", EventType: "MUTATION_CREATED", ObjectType: "Payment",
		ReceivedAt: at, Event: map[string]int{"id": 1}, Raw: body,
	})
	require.NoError(t, err)
	assert.Equal(t, `{"provider":"bunq","key":"k","category":"MUTATION","event_type":"MUTATION_CREATED","object_type":"Payment",`+
		`"received_at":"2025-03-14T09:12:44.11823Z","event":{"id":1},`+
		`"raw":{"note":"caf\u00e9 \/ <b>","amount":123456789012345678.10,"list":[1,2]}}`, string(b),
		"one line; received_at in UTC; raw keeps strings and numbers as sent")
}

func TestMarshalLineRefusesInvalidRaw(t *testing.T) {
	_, err := Marshal(Line{Raw: jsontext.Value(`{"a":`)})
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "bankhook: encode event line: "), err.Error())
}

// lineJSON is a line as a reader of the output sees it.
type lineJSON struct {
	Provider   string         `json:"provider"`
	Key        string         `json:"key"`
	Category   string         `json:"category"`
	EventType  string         `json:"event_type"`
	ObjectType string         `json:"object_type"`
	ReceivedAt string         `json:"received_at"`
	Event      jsontext.Value `json:"event"`
	Raw        jsontext.Value `json:"raw"`
}

// lineFor builds the line serve writes for body, which must decode.
func lineFor(provider string, body []byte) (Line, error) {
	l := Line{Provider: provider, Raw: body, ReceivedAt: time.Unix(1_741_943_564, 118_230_000)}
	switch provider {
	case "bunq":
		n, err := bunq.Decode(body)
		if err != nil {
			return l, err
		}
		l.Key, l.Category, l.EventType, l.ObjectType, l.Event = n.IdempotencyKey(), string(n.Category), string(n.EventType), n.Object.ObjectType(), n
	default:
		w, err := bankhub.Decode(body)
		if err != nil {
			return l, err
		}
		l.Key, l.Category, l.EventType, l.ObjectType, l.Event = w.IdempotencyKey(), string(w.Type), string(w.Code), w.Event().Kind(), w
	}
	return l, nil
}

// FuzzEventLine checks, for every body a decoder accepts, that its line
// is one line of valid JSON whose raw is the body and whose event decodes
// to the same event, and that MarshalDecoded writes it byte for byte as
// Marshal does. Its seeds are kilobytes long: run it with a bounded
// minimization, go test -fuzz FuzzEventLine -fuzzminimizetime 50x.
func FuzzEventLine(f *testing.F) {
	for _, name := range samples.BunqNames() {
		b, _ := samples.Bunq(name)
		f.Add(true, b)
	}
	for _, name := range samples.BankhubNames() {
		b, _ := samples.Bankhub(name)
		f.Add(false, b)
	}
	f.Add(true, []byte(`{"NotificationUrl":{"category":"MUTATION","event_type":"MUTATION_CREATED","object":{"FutureThing":{"id":77,"note":"caf\u00e9"}}}}`))
	f.Add(true, []byte("{\"NotificationUrl\":{\"category\":\"MUTATION\",\"object\":{\"Payment\":{\"id\":1,\"description\":\"line\\nbreak\\u2028\"}}}}"))
	f.Fuzz(func(t *testing.T, isBunq bool, body []byte) {
		provider := "bankhub"
		if isBunq {
			provider = "bunq"
		}
		l, err := lineFor(provider, body)
		if err != nil {
			return // refused by the decoder: never written
		}
		line, err := Marshal(l)
		require.NoError(t, err, "a decoded event always has a line")
		require.NotContains(t, string(line), "\n", "one line")
		fast, err := MarshalDecoded(l)
		require.NoError(t, err)
		require.Equal(t, string(line), string(fast), "MarshalDecoded writes what Marshal writes")

		var got lineJSON
		require.NoError(t, json.Unmarshal(line, &got, json.RejectUnknownMembers(true)))
		assert.Equal(t, l.Key, got.Key)
		want := jsontext.Value(bytes.Clone(body))
		require.NoError(t, want.Compact(jsontext.PreserveRawStrings(true)))
		assert.Equal(t, string(want), string(got.Raw), "raw is the body, compacted")

		switch provider {
		case "bunq":
			again, err := bunq.Decode(got.Event)
			require.NoError(t, err, "event: %s", got.Event)
			assert.Equal(t, l.Key, again.IdempotencyKey())
		default:
			again, err := bankhub.Decode(got.Event)
			require.NoError(t, err, "event: %s", got.Event)
			assert.Equal(t, l.Key, again.IdempotencyKey())
		}
	})
}

func BenchmarkMarshalLine(b *testing.B) {
	encoders := []struct {
		suffix string
		encode func(Line) ([]byte, error)
	}{{"", Marshal}, {"/decoded", MarshalDecoded}}
	for _, s := range []struct{ provider, name string }{{"bunq", "MUTATION"}, {"bankhub", "TRANSACTIONS_DEFAULT_UPDATE"}} {
		get := map[string]func(string) ([]byte, bool){"bunq": samples.Bunq, "bankhub": samples.Bankhub}[s.provider]
		body, _ := get(s.name)
		l, err := lineFor(s.provider, body)
		require.NoError(b, err)
		for _, e := range encoders {
			b.Run(s.provider+"/"+s.name+e.suffix, func(b *testing.B) {
				b.SetBytes(int64(len(body)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := e.encode(l); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestMarshalDecodedIsMarshal checks that MarshalDecoded writes every
// sample's line byte for byte as Marshal does, at times of every shape.
func TestMarshalDecodedIsMarshal(t *testing.T) {
	times := []time.Time{
		time.Unix(1_741_943_564, 118_230_000),
		time.Unix(1_741_943_564, 0),
		time.Unix(1_741_943_564, 1).In(time.FixedZone("X", -7*3600)),
		time.Date(2026, 12, 7, 6, 0, 0, 999_999_999, time.UTC),
		time.Now(), // with a monotonic reading
	}
	type sample struct{ provider, name string }
	var all []sample
	for _, name := range samples.BunqNames() {
		all = append(all, sample{"bunq", name})
	}
	for _, name := range samples.BankhubNames() {
		all = append(all, sample{"bankhub", name})
	}
	get := map[string]func(string) ([]byte, bool){"bunq": samples.Bunq, "bankhub": samples.Bankhub}
	for _, s := range all {
		t.Run(s.provider+"/"+s.name, func(t *testing.T) {
			body, ok := get[s.provider](s.name)
			require.True(t, ok)
			l, err := lineFor(s.provider, body)
			require.NoError(t, err)
			for _, at := range times {
				l.ReceivedAt = at
				want, err := Marshal(l)
				require.NoError(t, err)
				got, err := MarshalDecoded(l)
				require.NoError(t, err)
				require.Equal(t, string(want), string(got))
				// Appended after what a reused buffer still holds, with
				// room for it or not.
				for _, dst := range [][]byte{[]byte("old line\n"), make([]byte, 3, 64<<10)} {
					prefix := string(dst)
					got, err := AppendDecoded(dst, l)
					require.NoError(t, err)
					require.Equal(t, prefix+string(want), string(got))
				}
			}
		})
	}
}

// TestAppendDecodedError: an event the line cannot hold leaves dst as it
// was, with Marshal's error.
func TestAppendDecodedError(t *testing.T) {
	l := Line{Provider: "bunq", Key: "k", ReceivedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), Raw: []byte(`{}`)}
	_, want := Marshal(l)
	require.Error(t, want)
	got, err := AppendDecoded([]byte("kept"), l)
	assert.EqualError(t, err, want.Error())
	assert.Equal(t, "kept", string(got))
}

func TestMarshalDecodedNilEvent(t *testing.T) {
	for _, ev := range []any{nil, (*bunq.Notification)(nil), (*bankhub.Webhook)(nil)} {
		l := Line{Provider: "bunq", Key: "k", ReceivedAt: time.Unix(1, 0), Event: ev, Raw: []byte(`{}`)}
		want, err := Marshal(l)
		require.NoError(t, err)
		got, err := MarshalDecoded(l)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got))
	}
}

func TestMarshalDecodedRefusesWhatMarshalRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		l    Line
	}{
		{"year beyond 9999", Line{ReceivedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), Event: 1, Raw: []byte(`{}`)}},
		{"invalid UTF-8 in the key", Line{Key: "\xff", Event: 1, Raw: []byte(`{}`)}},
		{"an event that cannot be encoded", Line{Event: func() {}, Raw: []byte(`{}`)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, want := Marshal(tc.l)
			require.Error(t, want)
			_, err := MarshalDecoded(tc.l)
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), "bankhook: encode event line: "), err.Error())
		})
	}
}

func TestAppendCompact(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"indented", "{\n  \"a\" : [ 1 , 2.50 ,\t-0e+1 ],\r\n  \"b\": { }\n}\n"},
		{"escaped quotes", `{ "a\"b" : "c\\" , "d" : "\\\"" , "e":"\\\\" }`},
		{"spaces in strings", `[ " a b ", "\u0020 ", "tab\there" ]`},
		{"scalars", ` true `},
		{"empty string", `{"":""}`},
		{"deep indentation", "{\n" + strings.Repeat(" ", 21) + "\"a\": [\n" + strings.Repeat(" ", 16) + "1,\t \n" + strings.Repeat(" ", 7) + "\"        \"\n]}"},
		{"spaces at the end", "[1]" + strings.Repeat(" ", 19)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := jsontext.Value(tc.in)
			require.NoError(t, want.Compact(jsontext.PreserveRawStrings(true)))
			assert.Equal(t, string(want), string(appendCompact(nil, []byte(tc.in))))
		})
	}
}
