// Command demo is a main package: it has no API.
package main

// Exported must not show.
func Exported() {}

func main() { Exported() }
