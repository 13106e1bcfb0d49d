package bunq

import (
	"fmt"
	"reflect"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/internal/jsonscan/scantest"
)

// TestFastPathKnowsEveryField fills every field of every object type the
// fast path decodes, through reflection over the types' json tags, each
// with a value of its own, and requires the fast path to take the body
// and to give exactly what the reflective decoder gives. A field added to
// a struct but not to its fast decoder fails here at once, named by its
// path, without a fuzzer having to find it.
func TestFastPathKnowsEveryField(t *testing.T) {
	timeType, decimalType := reflect.TypeFor[Time](), reflect.TypeFor[bankhook.Decimal]()
	for _, obj := range []Object{&Payment{}, &MasterCardAction{}} {
		name := obj.ObjectType()
		t.Run(name, func(t *testing.T) {
			f := scantest.Filler{Special: map[reflect.Type]func(int) string{
				timeType:    func(n int) string { return fmt.Sprintf(`"2025-03-%02d %02d:%02d:44.%06d"`, 1+n%28, n%24, n%60, n) },
				decimalType: func(n int) string { return `"` + strconv.Itoa(n) + `.25"` },
			}}
			body := []byte(`{"NotificationUrl":{"target_url":"https://hooks.example.com/bunq","category":"MUTATION",` +
				`"event_type":"MUTATION_CREATED","object":{"` + name + `":` + f.JSON(reflect.TypeOf(obj).Elem(), name) + `}}}`)

			slow, err := decodeReflect(body)
			require.NoError(t, err, "%s", body)
			fast := decodeFast(body)
			require.NotNil(t, fast, "the fast path declined a body with every field of %s: %s", name, body)
			if path, ok := scantest.FirstDifference(reflect.ValueOf(slow.Object), reflect.ValueOf(fast.Object), name, timeType, decimalType); !ok {
				t.Fatalf("%s: the fast path and the reflective decoder disagree (a field the fast decoder does not read?)", path)
			}
			if path, ok := scantest.FirstZero(reflect.ValueOf(slow.Object), name, timeType, decimalType); ok {
				t.Fatalf("%s is zero after decoding a body that fills it: the filler does not know its type", path)
			}
		})
	}
}
