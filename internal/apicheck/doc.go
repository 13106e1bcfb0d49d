// Package apicheck holds tests of the module's public API and code that
// span packages: that no public package exports a variable an importer
// could change, error sentinels aside, and that no function of the
// repository, in any module, is longer than 80 lines unless its doc says
// why. It has no code of its own.
package apicheck
