// Command apidump writes, and checks, a description of the exported API of
// every module of the repository: one file per module under api/, one line
// per exported feature, in the style of the Go project's api/go1.*.txt. It
// makes every change to what users of a module can import one reviewed diff.
//
// # Workflow
//
// A change to an exported name of any module (a new function, a changed
// signature, a new struct field or interface method, a removed constant)
// comes with the matching change of api/, in the same commit. Make the
// change, run
//
//	go run ./internal/cmd/apidump
//
// from the repository root, review `git diff api/` and commit it with the
// change. In that diff a "+" line is new API and a "-" line is API that the
// module's users lose: a break, unless a compatible line replaces it.
//
// CI runs
//
//	go run ./internal/cmd/apidump -check
//
// which writes nothing, prints the lines that would be added (+) and removed
// (-) per file, and exits with status 1 when api/ does not match the tree.
//
// # Modules and files
//
// The modules are found as CI finds them, with
// `git ls-files 'go.mod' '*/go.mod'`: a module is described once its go.mod
// is known to git. The module in directory d is described in
// api/<d with "/" replaced by "_">.txt (cmd/bankhook in
// api/cmd_bankhook.txt); the root module in api/<last element of its module
// path>.txt (api/bankhook.txt). Writing removes the .txt files of api/ that
// no module produces; -check reports them. Each module is loaded on its own
// (GOWORK=off), as a user of the module builds it, and for GOOS=linux
// GOARCH=amd64 whatever the host, so the same tree gives byte-identical
// files everywhere. The packages of a module are type-checked from source
// against the export data `go list -export` gives for what they import, so
// a run compiles the modules' dependencies into the build cache, if they
// are not there yet; CI runs the check after its build step.
//
// # What is described
//
// Every package of the module that another module can import: not main
// packages, not packages with an "internal" path element, not _test.go
// files. The lines are sorted and read as in go1.txt:
//
//	pkg example.com/m, func New(int) (*Store, error)
//	pkg example.com/m, func Map[$0 interface{}, $1 interface{}]([]$0, func($0) $1) []$1
//	pkg example.com/m, method (*Store) Len() int
//	pkg example.com/m, method (*List[$0]) Push($0)
//	pkg example.com/m, type Store struct
//	pkg example.com/m, type Options struct, Timeout time.Duration
//	pkg example.com/m, type Options struct, embedded Base
//	pkg example.com/m, type Getter interface { Get }
//	pkg example.com/m, type Getter interface, Get(context.Context, string) ([]uint8, error)
//	pkg example.com/m, type Event interface, unexported methods
//	pkg example.com/m, type Level int
//	pkg example.com/m, type Handler = func(context.Context) error
//	pkg example.com/m, const DefaultLease time.Duration
//	pkg example.com/m, const DefaultLease = 60000000000
//	pkg example.com/m, const Name ideal-string
//	pkg example.com/m, var ErrClosed error
//	pkg example.com/m, func Old //deprecated
//
// Types are written as go/types sees them: qualified by package name,
// aliases resolved (any is interface{}, byte is uint8), type parameters
// numbered ($0, $1) so renaming one is no change. Methods include those
// promoted from embedded fields; an interface lists its whole method set,
// and its summary line is left out when it has unexported methods (a sealed
// interface may gain methods). Unlike go1.txt, a constraint's summary line
// names its type set (type Number interface { ~int | ~float64 }), and a
// struct or interface type literal is written in full, with its fields or
// method signatures. A module with nothing to describe (only main
// or internal packages) gets a file with a single comment line saying so,
// so that every module has a file and its first exported name shows as a
// diff.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
)

func main() {
	check := flag.Bool("check", false, "compare api/ with the tree instead of writing it; exit 1 on a difference")
	root := flag.String("root", "", "repository root (default: the git work tree holding the current directory)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: go run ./internal/cmd/apidump [-check] [-root dir]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, *root, *check, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// errDiffers is returned by run in -check mode when api/ does not match the
// tree.
var errDiffers = errors.New("apidump: api/ does not match the exported API of the tree: " +
	"run `go run ./internal/cmd/apidump`, review `git diff api/` and commit it with the change")

// run describes every module of the repository at root ("" for the git work
// tree holding the current directory) and writes api/, or with check
// compares it, printing the differences to out.
func run(ctx context.Context, root string, check bool, out io.Writer) error {
	if root == "" {
		top, err := gitOutput(ctx, ".", "rev-parse", "--show-toplevel")
		if err != nil {
			return err
		}
		root = string(trimNewline(top))
	}
	mods, err := findModules(ctx, root)
	if err != nil {
		return err
	}
	files, err := describeModules(ctx, root, mods)
	if err != nil {
		return err
	}
	if check {
		return checkFiles(root, files, out)
	}
	return writeFiles(root, files)
}
