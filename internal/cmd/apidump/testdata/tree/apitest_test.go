package apitest

// TestOnlyHelper is exported but in a _test.go file.
func TestOnlyHelper() {}
