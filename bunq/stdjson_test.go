package bunq

import "encoding/json"

// The encoding/json entry points, named so that tests using them read
// apart from the go-json-experiment ones.
var (
	stdjsonMarshal   = json.Marshal
	stdjsonUnmarshal = json.Unmarshal
)
