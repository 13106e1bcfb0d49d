package bankhub

import (
	"fmt"
	"reflect"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/internal/jsonscan/scantest"
)

// TestFastPathKnowsEveryField fills every field of the transaction the
// fast path decodes, through reflection over its json tags, each with a
// value of its own, and requires the fast path to take the webhook and to
// give exactly what the reflective decoder gives. A field added to
// Transaction but not to its fast decoder fails here at once, named by its
// path, without a fuzzer having to find it.
func TestFastPathKnowsEveryField(t *testing.T) {
	dateType, dateTimeType, decimalType := reflect.TypeFor[Date](), reflect.TypeFor[DateTime](), reflect.TypeFor[bankhook.Decimal]()
	f := scantest.Filler{Special: map[reflect.Type]func(int) string{
		dateType:     func(n int) string { return fmt.Sprintf(`"2025-03-%02d"`, 1+n%28) },
		dateTimeType: func(n int) string { return fmt.Sprintf(`"2025-03-%02dT%02d:%02d:44+07:00"`, 1+n%28, n%24, n%60) },
		decimalType:  func(n int) string { return strconv.Itoa(n) + "000.25" },
	}}
	body := []byte(`{"environment":"production","webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE","grantId":"g-1",` +
		`"transaction":` + f.JSON(reflect.TypeFor[Transaction](), "transaction") + `}`)

	slow, err := decodeReflect(body)
	require.NoError(t, err, "%s", body)
	fast := decodeFast(body)
	require.NotNil(t, fast, "the fast path declined a webhook with every field of its transaction: %s", body)
	atoms := []reflect.Type{dateType, dateTimeType, decimalType}
	if path, ok := scantest.FirstDifference(reflect.ValueOf(slow), reflect.ValueOf(fast), "webhook", atoms...); !ok {
		t.Fatalf("%s: the fast path and the reflective decoder disagree (a field the fast decoder does not read?)", path)
	}
	if path, ok := scantest.FirstZero(reflect.ValueOf(slow.Transaction), "transaction", atoms...); ok {
		t.Fatalf("%s is zero after decoding a body that fills it: the filler does not know its type", path)
	}
}
