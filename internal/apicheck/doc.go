// Package apicheck holds tests of the module's public API that span
// packages: today, that no public package exports a variable an importer
// could change, error sentinels aside. It has no code of its own.
package apicheck
