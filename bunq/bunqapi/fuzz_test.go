package bunqapi

import (
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/go-json-experiment/json"

	"github.com/bankhook/bankhook/bunq"
)

// FuzzCheckPageURL checks the gate every server-given page link passes:
// an accepted link stays on the listing's path, carries only count,
// older_id and newer_id, and is accepted again unchanged.
func FuzzCheckPageURL(f *testing.F) {
	const path = "/v1/user/7/notification-filter-failure"
	for _, seed := range []string{
		path + "?count=200&older_id=51",
		path + "?older_id=1",
		"https://evil.example" + path + "?older_id=1",
		"//evil.example" + path,
		path + "?older_id=1&redirect=https://evil.example",
		path + "/../../../v1/user/8/notification-filter-failure?older_id=1",
		path + "%3Folder_id=1",
		path + "?older_id=1#frag",
		"/v1/user/7/notification-filter-failure?count=200&older_id=51&older_id=52",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, link string) {
		got, err := checkPageURL(link, path)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		if !strings.HasPrefix(got, path+"?") {
			t.Fatalf("accepted %q as %q, off the listing's path", link, got)
		}
		u, perr := url.Parse(got)
		if perr != nil || u.Host != "" || u.Scheme != "" || u.Path != path {
			t.Fatalf("accepted %q as %q, which leaves the listing", link, got)
		}
		for k := range u.Query() {
			if k != "count" && k != "older_id" && k != "newer_id" {
				t.Fatalf("accepted %q with parameter %q", link, k)
			}
		}
		again, err := checkPageURL(got, path)
		if err != nil || again != got {
			t.Fatalf("%q: accepted as %q, then %q, %v", link, got, again, err)
		}
	})
}

// FuzzDecodeFilters checks that a filter listing either decodes to
// filters each of which appears in the body, each once, or is refused;
// it never panics.
func FuzzDecodeFilters(f *testing.F) {
	for _, seed := range []string{
		`{"Response":[{"NotificationFilterUrl":{"id":1,"category":"MUTATION","notification_target":"https://a.example/"}}]}`,
		`{"Response":[{"NotificationFilterUrl":{"notification_filters":[{"category":"PAYMENT","notification_target":"https://b.example/"}]}}]}`,
		`{"Response":[{"NotificationFilterUrl":{"id":2,"category":"MUTATION","notification_target":"https://a.example/","notification_filters":[{"category":"MUTATION","notification_target":"https://a.example/"}]}}],"Pagination":{"older_url":null}}`,
		`{"Response":[]}`,
		`{"Response":[{"Id":{"id":3}}]}`,
		`{"Response":null}`,
		`{"Response":[{"NotificationFilterUrl":null}]}`,
		`[]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		filters, err := decodeFilters(body)
		if err != nil {
			return
		}
		if filters == nil {
			t.Fatal("nil filters without an error")
		}
		seen := map[bunq.NotificationFilterURL]bool{}
		for _, fl := range filters {
			if seen[fl] {
				t.Fatalf("filter %+v listed twice", fl)
			}
			seen[fl] = true
			if fl.Category == "" && fl.NotificationTarget == "" {
				continue // an entry of the nested form may be empty
			}
			enc, err := json.Marshal(fl)
			if err != nil {
				t.Fatal(err)
			}
			var back bunq.NotificationFilterURL
			if err := json.Unmarshal(enc, &back); err != nil || back != fl {
				t.Fatalf("filter %+v does not survive a round trip: %v", fl, err)
			}
		}
	})
}

// FuzzVerifyResponse checks that a response verifies only with the
// server's real signature: random signatures, headers and bodies are
// refused, and the signed body verifies whatever the X-Bunq- headers say.
func FuzzVerifyResponse(f *testing.F) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(`{"Response":[]}`), "c2lnbmF0dXJl", "req-1", 200)
	f.Add([]byte(``), "", "", 401)
	f.Fuzz(func(t *testing.T, body []byte, sig, requestID string, status int) {
		h := http.Header{}
		h.Set(HeaderRequestID, requestID)
		if sig != "" {
			h.Set(HeaderServerSignature, sig)
		}
		if verifyResponse(&key.PublicKey, status, h, body) == nil {
			t.Fatalf("a made-up signature %q verified", sig)
		}
		good, err := signBody(key, body)
		if err != nil {
			t.Fatal(err)
		}
		h.Set(HeaderServerSignature, good)
		if err := verifyResponse(&key.PublicKey, status, h, body); err != nil {
			t.Fatalf("the server's signature of the body: %v", err)
		}
		if err := verifyResponse(&key.PublicKey, status, h, append(body, ' ')); err == nil {
			t.Fatal("a changed body verified")
		}
	})
}
