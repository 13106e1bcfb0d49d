// Package hidden is internal: it has no API.
package hidden

// Hidden must not show.
func Hidden() {}
