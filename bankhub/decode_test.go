package bankhub_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bankhub"
	"github.com/bankhook/bankhook/hooktest/samples"
	"github.com/bankhook/bankhook/internal/fixtures"
	"github.com/go-json-experiment/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readBody returns the body of name: NAME.json is the sample webhook NAME
// of hooktest/samples, a name with a folder (deviation/….json) a file
// under testdata.
func readBody(t testing.TB, name string) []byte {
	t.Helper()
	if strings.Contains(name, "/") {
		b, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(name)))
		require.NoError(t, err)
		return b
	}
	b, ok := samples.Bankhub(strings.TrimSuffix(name, ".json"))
	require.True(t, ok, "no sample %s", name)
	return b
}

func mustDate(t *testing.T, s string) bankhub.Date {
	t.Helper()
	d, err := bankhub.ParseDate(s)
	require.NoError(t, err)
	return d
}

func mustDateTime(t *testing.T, s string) bankhub.DateTime {
	t.Helper()
	d, err := bankhub.ParseDateTime(s)
	require.NoError(t, err)
	return d
}

func decimalPtr(s string) *bankhook.Decimal {
	d := mustDecimal(s)
	return &d
}

func TestDecodeTestdata(t *testing.T) {
	const grant = "8c3f2a10-5b7e-4d21-9f6a-1e2d3c4b5a69"
	tests := []struct {
		file string
		want *bankhub.Webhook
		kind string
		key  string
	}{
		{
			file: "GRANT_ERROR.json",
			want: &bankhub.Webhook{
				Environment: "production",
				Type:        bankhub.TypeGrant,
				Code:        bankhub.CodeError,
				GrantID:     grant,
				Error: &bankhub.GrantError{
					ErrorType:    "GRANT_ERROR",
					ErrorCode:    bankhub.OTPRequired,
					ErrorMessage: "Ngân hàng yêu cầu xác thực OTP để tiếp tục đồng bộ giao dịch",
				},
			},
			kind: "grant_error",
			key:  "bankhub:GRANT:ERROR:" + grant + ":OTP_REQUIRED",
		},
		{
			file: "GRANT_USER_PERMISSION_REVOKED.json",
			want: &bankhub.Webhook{
				Environment: "production",
				Type:        bankhub.TypeGrant,
				Code:        bankhub.CodeUserPermissionRevoked,
				GrantID:     grant,
			},
			kind: "permission_revoked",
			key:  "bankhub:GRANT:USER_PERMISSION_REVOKED:" + grant,
		},
		{
			file: "TRANSACTIONS_DEFAULT_UPDATE.json",
			want: &bankhub.Webhook{
				Environment: "production",
				Type:        bankhub.TypeTransactions,
				Code:        bankhub.CodeDefaultUpdate,
				Transaction: &bankhub.Transaction{
					ID:                     "b2e4c6a8-1d3f-4a5b-8c7d-9e0f1a2b3c4d",
					TransactionCode:        "FT24123456789012",
					Reference:              "FT24123456789012",
					TransactionDate:        mustDate(t, "2024-05-02"),
					TransactionDateTime:    mustDateTime(t, "2024-05-02T14:35:12+07:00"),
					BookingDate:            mustDate(t, "2024-05-02T14:35:14+07:00"),
					Amount:                 mustDecimal("123456789012345678"),
					Description:            "CONG TY TNHH AN PHAT thanh toan DH10234",
					RunningBalance:         decimalPtr("456789012345678901"),
					AccountNumber:          "0801234567890",
					VirtualAccountNumber:   "VQRQAB1234567",
					VirtualAccountName:     "CONG TY CO PHAN BANKHOOK",
					PaymentChannel:         bankhub.ChannelNapas247,
					CounterAccountNumber:   "1023456789",
					CounterAccountName:     "CONG TY TNHH AN PHAT",
					CounterAccountBankID:   "970436",
					CounterAccountBankName: "Vietcombank",
					PaymentMeta:            bankhub.PaymentMeta{ReferenceNumber: "DH10234"},
					FIID:                   "mbbank",
					FIName:                 "MB Bank",
					FIServiceID:            "mbbank-business",
					FIServiceName:          "MB Bank Doanh nghiệp",
					Currency:               "VND",
				},
			},
			kind: "transaction",
			key:  "bankhub:TRANSACTIONS:DEFAULT_UPDATE:b2e4c6a8-1d3f-4a5b-8c7d-9e0f1a2b3c4d",
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			w, err := bankhub.Decode(readBody(t, tt.file))
			require.NoError(t, err)
			assert.Equal(t, tt.want, w)
			assert.Equal(t, tt.kind, w.Event().Kind())
			assert.Equal(t, tt.key, w.IdempotencyKey())
			// The file is named after its pair, so a CLI can address it.
			assert.Equal(t, string(w.Type)+"_"+string(w.Code)+".json", tt.file)
		})
	}
}

func TestDecodeTestdataCoversEveryFile(t *testing.T) {
	assert.Equal(t, []string{
		"GRANT_ERROR",
		"GRANT_USER_PERMISSION_REVOKED",
		"TRANSACTIONS_DEFAULT_UPDATE",
	}, samples.BankhubNames())
}

func TestDecodeAmountExact(t *testing.T) {
	w, err := bankhub.Decode(readBody(t, "TRANSACTIONS_DEFAULT_UPDATE.json"))
	require.NoError(t, err)
	// 123456789012345678 is not a float64: the nearest one is ...680.
	assert.Equal(t, "123456789012345678", w.Transaction.Amount.String())
	minor, err := w.Transaction.Amount.MinorUnits(0)
	require.NoError(t, err)
	assert.Equal(t, int64(123456789012345678), minor)
	assert.Equal(t, "456789012345678901", w.Transaction.RunningBalance.String())
}

func TestDecodeDeviations(t *testing.T) {
	t.Run("numbers for strings, nulls, unknown members", func(t *testing.T) {
		w, err := bankhub.Decode(readBody(t, "deviation/numbers_for_strings.json"))
		require.NoError(t, err)
		tx := w.Transaction
		require.NotNil(t, tx)
		assert.Equal(t, "90817263544536271809", tx.ID)
		assert.Equal(t, "12345678901234567890", tx.AccountNumber, "a 20-digit account number keeps every digit")
		assert.Equal(t, "2405021435120001", tx.Reference)
		assert.Equal(t, "19036512345012", tx.CounterAccountNumber)
		assert.Equal(t, "970407", tx.CounterAccountBankID)
		assert.Equal(t, "970423", tx.FIID)
		assert.Equal(t, "", tx.TransactionCode)
		assert.True(t, tx.TransactionDateTime.IsZero())
		assert.False(t, tx.BookingDate.HasTime())
		assert.Nil(t, tx.RunningBalance)
		assert.Equal(t, bankhub.PaymentMeta{}, tx.PaymentMeta)
		assert.Equal(t, bankhub.ChannelInternal, tx.PaymentChannel)
		assert.Equal(t, "2500000.00", tx.Amount.String(), "an amount sent as a string keeps its scale")
		assert.Equal(t, "bankhub:TRANSACTIONS:DEFAULT_UPDATE:90817263544536271809", w.IdempotencyKey())
	})
	t.Run("only the required members", func(t *testing.T) {
		w, err := bankhub.Decode(readBody(t, "deviation/minimal.json"))
		require.NoError(t, err)
		assert.Equal(t, &bankhub.Webhook{
			Type: bankhub.TypeTransactions,
			Code: bankhub.CodeDefaultUpdate,
			Transaction: &bankhub.Transaction{
				ID:     "tx-1",
				Amount: mustDecimal("-50000"),
			},
		}, w)
	})
	t.Run("unknown pair", func(t *testing.T) {
		body := readBody(t, "deviation/unknown_pair.json")
		w, err := bankhub.Decode(body)
		require.NoError(t, err)
		u, ok := w.Event().(*bankhub.Unknown)
		require.True(t, ok, "got %T", w.Event())
		assert.Equal(t, bankhub.TypeTransactions, u.Type)
		assert.Equal(t, bankhub.WebhookCode("HISTORICAL_UPDATE"), u.Code)
		assert.Equal(t, "unknown", u.Kind())
		assert.JSONEq(t, string(body), string(u.Raw), "Raw keeps every member, known or not")
		assert.Contains(t, string(u.Raw), `"newTransactions":42`)
		assert.True(t, strings.HasPrefix(w.IdempotencyKey(), "bankhub:TRANSACTIONS:HISTORICAL_UPDATE:sha256="))
	})
}

func TestDecodeLiberal(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		check func(t *testing.T, w *bankhub.Webhook)
	}{
		{
			name: "unknown members at every level",
			body: `{"webhookType":"GRANT","webhookCode":"USER_PERMISSION_REVOKED","grantId":"g","x":{"y":[1,2]},"error":{"errorCode":"OTP_REQUIRED","hint":"h"}}`,
			check: func(t *testing.T, w *bankhub.Webhook) {
				assert.Equal(t, &bankhub.GrantError{ErrorCode: bankhub.OTPRequired}, w.Error)
			},
		},
		{
			name: "numbers for grant and environment",
			body: `{"environment":1,"webhookType":"GRANT","webhookCode":"ERROR","grantId":98765432109876543210}`,
			check: func(t *testing.T, w *bankhub.Webhook) {
				assert.Equal(t, "1", w.Environment)
				assert.Equal(t, "98765432109876543210", w.GrantID)
				assert.Nil(t, w.Error)
				assert.Equal(t, &bankhub.GrantFailed{GrantID: "98765432109876543210"}, w.Event())
				assert.Equal(t, "bankhub:GRANT:ERROR:98765432109876543210:", w.IdempotencyKey())
			},
		},
		{
			name: "malformed transaction in a grant webhook is left out",
			body: `{"webhookType":"GRANT","webhookCode":"ERROR","grantId":"g","transaction":[1]}`,
			check: func(t *testing.T, w *bankhub.Webhook) {
				assert.Nil(t, w.Transaction)
			},
		},
		{
			name: "malformed error in a transaction webhook is left out",
			body: `{"webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE","error":"boom","transaction":{"id":"t","amount":1}}`,
			check: func(t *testing.T, w *bankhub.Webhook) {
				assert.Nil(t, w.Error)
				assert.Equal(t, "t", w.Transaction.ID)
			},
		},
		{
			name: "unknown pair with a transaction of another shape",
			body: `{"webhookType":"TRANSACTIONS","webhookCode":"REMOVED","transaction":{"id":"t"}}`,
			check: func(t *testing.T, w *bankhub.Webhook) {
				assert.Nil(t, w.Transaction, "no amount: not a Transaction, but kept in Raw")
				u := w.Event().(*bankhub.Unknown)
				assert.JSONEq(t, `{"webhookType":"TRANSACTIONS","webhookCode":"REMOVED","transaction":{"id":"t"}}`, string(u.Raw))
			},
		},
		{
			name: "unknown type",
			body: `{"webhookType":"PAYOUTS","webhookCode":"DEFAULT_UPDATE","payout":{"id":"p"}}`,
			check: func(t *testing.T, w *bankhub.Webhook) {
				assert.IsType(t, &bankhub.Unknown{}, w.Event())
			},
		},
		{
			name: "amount as a string and with a fraction",
			body: `{"webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE","transaction":{"id":"t","amount":"10.50","runningBalance":1e3}}`,
			check: func(t *testing.T, w *bankhub.Webhook) {
				assert.Equal(t, "10.50", w.Transaction.Amount.String())
				assert.Equal(t, "1000", w.Transaction.RunningBalance.String())
			},
		},
		{
			name: "empty date strings are no date",
			body: `{"webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE","transaction":{"id":"t","amount":1,"transactionDate":"","transactionDateTime":"","bookingDate":null}}`,
			check: func(t *testing.T, w *bankhub.Webhook) {
				assert.True(t, w.Transaction.TransactionDate.IsZero())
				assert.True(t, w.Transaction.TransactionDateTime.IsZero())
				assert.True(t, w.Transaction.BookingDate.IsZero())
			},
		},
		{
			name: "a date-time in transactionDate",
			body: `{"webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE","transaction":{"id":"t","amount":1,"transactionDate":"2024-05-02T00:00:00+07:00"}}`,
			check: func(t *testing.T, w *bankhub.Webhook) {
				assert.True(t, w.Transaction.TransactionDate.HasTime())
				assert.Equal(t, "2024-05-02T00:00:00+07:00", w.Transaction.TransactionDate.String())
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := bankhub.Decode([]byte(tt.body))
			require.NoError(t, err)
			tt.check(t, w)
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
		path string
		is   error // when set, the error wraps it
	}{
		{name: "empty", body: ``, path: ""},
		{name: "whitespace", body: " \n", path: ""},
		{name: "null", body: `null`, path: "/webhookType", is: bankhub.ErrMissing},
		{name: "array", body: `[{"webhookType":"GRANT"}]`, path: ""},
		{name: "string", body: `"GRANT"`, path: ""},
		{name: "trailing data", body: `{"webhookType":"GRANT","webhookCode":"ERROR","grantId":"g"} {}`, path: ""},
		{name: "missing webhookType", body: `{"webhookCode":"ERROR","grantId":"g"}`, path: "/webhookType", is: bankhub.ErrMissing},
		{name: "empty webhookType", body: `{"webhookType":"","webhookCode":"ERROR"}`, path: "/webhookType", is: bankhub.ErrMissing},
		{name: "null webhookCode", body: `{"webhookType":"GRANT","webhookCode":null}`, path: "/webhookCode", is: bankhub.ErrMissing},
		{name: "numeric webhookType", body: `{"webhookType":1,"webhookCode":"ERROR"}`, path: "/webhookType"},
		{name: "object for a string", body: `{"webhookType":"GRANT","webhookCode":"ERROR","grantId":{}}`, path: "/grantId"},
		{name: "grant error without grant", body: `{"webhookType":"GRANT","webhookCode":"ERROR"}`, path: "/grantId", is: bankhub.ErrMissing},
		{name: "revocation without grant", body: `{"webhookType":"GRANT","webhookCode":"USER_PERMISSION_REVOKED","grantId":null}`, path: "/grantId", is: bankhub.ErrMissing},
		{name: "grant error with malformed error", body: `{"webhookType":"GRANT","webhookCode":"ERROR","grantId":"g","error":{"errorCode":7}}`, path: "/error/errorCode"},
		{name: "missing transaction", body: `{"webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE"}`, path: "/transaction", is: bankhub.ErrMissing},
		{name: "null transaction", body: `{"webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE","transaction":null}`, path: "/transaction", is: bankhub.ErrMissing},
		{name: "transaction is an array", body: `{"webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE","transaction":[{"id":"t","amount":1}]}`, path: "/transaction"},
		{name: "transaction without id", body: `{"webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE","transaction":{"amount":1}}`, path: "/transaction/id", is: bankhub.ErrMissing},
		{name: "transaction without amount", body: `{"webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE","transaction":{"id":"t"}}`, path: "/transaction/amount", is: bankhub.ErrMissing},
		{name: "null amount", body: `{"webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE","transaction":{"id":"t","amount":null}}`, path: "/transaction/amount", is: bankhub.ErrMissing},
		{name: "non-numeric amount", body: `{"webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE","transaction":{"id":"t","amount":"12,5"}}`, path: "/transaction/amount"},
		{name: "boolean amount", body: `{"webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE","transaction":{"id":"t","amount":true}}`, path: "/transaction/amount"},
		{name: "amount with too many digits", body: `{"webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE","transaction":{"id":"t","amount":1e60}}`, path: "/transaction/amount", is: bankhub.ErrTooManyDigits},
		{name: "running balance with too many digits", body: `{"webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE","transaction":{"id":"t","amount":1,"runningBalance":1e-50}}`, path: "/transaction/runningBalance", is: bankhub.ErrTooManyDigits},
		{name: "bad date", body: `{"webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE","transaction":{"id":"t","amount":1,"transactionDate":"2024-02-30"}}`, path: "/transaction/transactionDate"},
		{name: "date-time without offset", body: `{"webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE","transaction":{"id":"t","amount":1,"transactionDateTime":"2024-05-02T14:35:12"}}`, path: "/transaction/transactionDateTime"},
		{name: "paymentMeta is a string", body: `{"webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE","transaction":{"id":"t","amount":1,"paymentMeta":"DH1"}}`, path: "/transaction/paymentMeta"},
		{name: "duplicate top-level name", body: `{"webhookType":"GRANT","webhookType":"TRANSACTIONS","webhookCode":"ERROR"}`, path: "/webhookType"},
		{name: "duplicate nested name", body: `{"webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE","transaction":{"id":"t","amount":1,"amount":1000000}}`, path: "/transaction/amount"},
		{name: "duplicate unknown name", body: `{"webhookType":"GRANT","webhookCode":"ERROR","grantId":"g","x":1,"x":2}`, path: "/x"},
		{name: "invalid UTF-8", body: "{\"webhookType\":\"GRANT\",\"webhookCode\":\"ERROR\",\"grantId\":\"g\xff\"}", path: "/grantId"},
		{name: "case differs", body: `{"WebhookType":"GRANT","webhookCode":"ERROR","grantId":"g"}`, path: "/webhookType", is: bankhub.ErrMissing},
		{name: "deep nesting", body: `{"webhookType":"GRANT","x":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`, path: "/x" + strings.Repeat("/0", bankhub.MaxDepth-1), is: bankhub.ErrTooDeep},
		{name: "deep nesting, unterminated", body: strings.Repeat(`{"a":`, 100000), path: strings.Repeat("/a", bankhub.MaxDepth), is: bankhub.ErrTooDeep},
		{name: "nesting just too deep", body: `{"webhookType":"GRANT","webhookCode":"ERROR","grantId":"g","x":` + strings.Repeat("[", bankhub.MaxDepth) + strings.Repeat("]", bankhub.MaxDepth) + `}`, path: "/x" + strings.Repeat("/0", bankhub.MaxDepth-1), is: bankhub.ErrTooDeep},
		{name: "unterminated string", body: `{"webhookType":"GRANT`, path: "/webhookType"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := bankhub.Decode([]byte(tt.body))
			require.Error(t, err)
			assert.Nil(t, w)
			var de *bankhook.DecodeError
			require.True(t, errors.As(err, &de), "error %T is not a *bankhook.DecodeError", err)
			assert.Equal(t, "bankhub", de.Provider)
			assert.Equal(t, tt.path, de.Path)
			assert.True(t, strings.HasPrefix(err.Error(), "bankhub: decode "), err.Error())
			if tt.is != nil {
				assert.ErrorIs(t, err, tt.is)
			}
		})
	}
}

func TestDecodeNestingAtTheLimit(t *testing.T) {
	// The body itself is one level; MaxDepth-1 more are allowed inside it.
	inner := strings.Repeat("[", bankhub.MaxDepth-1) + strings.Repeat("]", bankhub.MaxDepth-1)
	body := `{"webhookType":"GRANT","webhookCode":"ERROR","grantId":"g","x":` + inner + `,"s":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"["}`
	_, err := bankhub.Decode([]byte(body))
	require.NoError(t, err, "brackets inside strings do not count")
}

func TestUnmarshalUsesDecode(t *testing.T) {
	body := readBody(t, "deviation/numbers_for_strings.json")
	want, err := bankhub.Decode(body)
	require.NoError(t, err)

	var got bankhub.Webhook
	require.NoError(t, json.Unmarshal(body, &got))
	assert.Equal(t, want, &got)

	var bad bankhub.Webhook
	err = json.Unmarshal([]byte(`{"webhookType":"GRANT","webhookCode":"ERROR"}`), &bad)
	assert.ErrorIs(t, err, bankhub.ErrMissing)
}

// normalized returns a copy of w whose decimals are rebuilt from their
// text, so that 1e3 and 1000 (the same number, encoded the same) compare
// equal.
func normalized(w *bankhub.Webhook) *bankhub.Webhook {
	c := *w
	if w.Transaction != nil {
		tx := *w.Transaction
		tx.Amount = mustDecimal(tx.Amount.String())
		if tx.RunningBalance != nil {
			tx.RunningBalance = decimalPtr(tx.RunningBalance.String())
		}
		c.Transaction = &tx
	}
	return &c
}

// checkRoundTrip asserts the invariants of every accepted body: a key, a
// known kind, and a JSON encoding that decodes to an equal Webhook with
// the same key and encodes again to the same bytes.
func checkRoundTrip(t *testing.T, w *bankhub.Webhook) {
	t.Helper()
	key := w.IdempotencyKey()
	require.NotEmpty(t, key)
	require.Contains(t, []string{"grant_error", "permission_revoked", "transaction", "unknown"}, w.Event().Kind())

	b, err := json.Marshal(w)
	require.NoError(t, err)
	w2, err := bankhub.Decode(b)
	require.NoError(t, err, "re-encoded body %s", b)
	require.Equal(t, normalized(w), normalized(w2), "re-encoded body %s", b)
	require.Equal(t, key, w2.IdempotencyKey())
	b2, err := json.Marshal(w2)
	require.NoError(t, err)
	require.Equal(t, string(b), string(b2))
}

func TestRoundTrip(t *testing.T) {
	for _, name := range []string{
		"GRANT_ERROR.json",
		"GRANT_USER_PERMISSION_REVOKED.json",
		"TRANSACTIONS_DEFAULT_UPDATE.json",
		"deviation/numbers_for_strings.json",
		"deviation/minimal.json",
		"deviation/unknown_pair.json",
	} {
		t.Run(name, func(t *testing.T) {
			w, err := bankhub.Decode(readBody(t, name))
			require.NoError(t, err)
			checkRoundTrip(t, w)
		})
	}
}

func FuzzDecode(f *testing.F) {
	for _, name := range []string{
		"GRANT_ERROR.json",
		"GRANT_USER_PERMISSION_REVOKED.json",
		"TRANSACTIONS_DEFAULT_UPDATE.json",
		"deviation/numbers_for_strings.json",
		"deviation/minimal.json",
		"deviation/unknown_pair.json",
	} {
		f.Add(readBody(f, name))
	}
	for _, s := range []string{
		``, `null`, `[]`, `{}`,
		`{"webhookType":"GRANT","webhookCode":"ERROR","grantId":"a/b%c","error":{"errorCode":"X"}}`,
		`{"webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE","transaction":{"id":1e2,"amount":1.5e3,"runningBalance":"-0.00"}}`,
		`{"webhookType":"X","webhookCode":"Y","n":[1.0,-0,1E+2],"s":"\u00e9\ud83d\ude00"}`,
		`{"webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE","transaction":{"id":"t","amount":1,"amount":2}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		w, err := bankhub.Decode(body)
		if err != nil {
			require.Nil(t, w)
			var de *bankhook.DecodeError
			require.True(t, errors.As(err, &de), "error %T is not a *bankhook.DecodeError", err)
			require.Equal(t, "bankhub", de.Provider)
			require.True(t, de.Path == "" || strings.HasPrefix(de.Path, "/"), "path %q", de.Path)
			return
		}
		checkRoundTrip(t, w)
	})
}

func BenchmarkDecodeTransaction(b *testing.B) {
	body := readBody(b, "TRANSACTIONS_DEFAULT_UPDATE.json")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		w, err := bankhub.Decode(body)
		if err != nil {
			b.Fatal(err)
		}
		_ = w.IdempotencyKey()
	}
}

// TestDecodeSharedFixtures decodes real bankHub bodies captured by others,
// when the shared fixtures folder is present next to the repository. The
// shared set has no bankHub bodies yet (see its README): the test skips,
// saying so, until it has some.
func TestDecodeSharedFixtures(t *testing.T) {
	dir := filepath.Join(fixtures.Dir(t), "bankhub")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	require.NoError(t, err)
	if len(files) == 0 {
		t.Skipf("no bankHub fixtures in %s: the shared set has none yet", dir)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			body, err := os.ReadFile(f)
			require.NoError(t, err)
			w, err := bankhub.Decode(body)
			require.NoError(t, err)
			checkRoundTrip(t, w)
		})
	}
}

// mustDecimal is ParseDecimal for inputs a test knows to be valid.
func mustDecimal(s string) bankhook.Decimal {
	d, err := bankhook.ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return d
}
