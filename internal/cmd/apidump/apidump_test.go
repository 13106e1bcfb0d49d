package main

import (
	"bytes"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newTree copies testdata/tree to a new git work tree with two modules:
// example.com/apitest at its root and example.com/apitest/extra/tool, which
// has only a main package. The go.mod files are written here, not kept in
// testdata, so that the repository's CI does not take them for modules of
// its own.
func newTree(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"go", "git"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("apidump runs %s, which is not on PATH: %v", tool, err)
		}
	}
	root := t.TempDir()
	require.NoError(t, os.CopyFS(root, os.DirFS("testdata/tree")))
	writeFile(t, root, "go.mod", "module example.com/apitest\n\ngo 1.26\n")
	writeFile(t, root, "extra/tool/go.mod", "module example.com/apitest/extra/tool\n\ngo 1.26\n")
	git(t, root, "init", "-q")
	git(t, root, "add", "-A")
	return root
}

// writeFile writes content to root/name, creating its directory.
func writeFile(t *testing.T, root, name, content string) {
	t.Helper()
	file := filepath.Join(root, filepath.FromSlash(name))
	require.NoError(t, os.MkdirAll(filepath.Dir(file), 0o755))
	require.NoError(t, os.WriteFile(file, []byte(content), 0o644))
}

// editFile replaces old, which must be there, with new in root/name.
func editFile(t *testing.T, root, name, old, new string) {
	t.Helper()
	file := filepath.Join(root, filepath.FromSlash(name))
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	require.Contains(t, string(b), old)
	require.NoError(t, os.WriteFile(file, []byte(strings.Replace(string(b), old, new, 1)), 0o644))
}

// git runs git in dir.
func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	require.NoError(t, err, "git %s: %s", strings.Join(args, " "), out)
}

// apiLines returns the lines of root/api/name.
func apiLines(t *testing.T, root, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "api", name))
	require.NoError(t, err)
	return splitLines(b)
}

// readAPI returns the files of root/api by name.
func readAPI(t *testing.T, root string) map[string]string {
	t.Helper()
	files := make(map[string]string)
	dir := filepath.Join(root, "api")
	require.NoError(t, fs.WalkDir(os.DirFS(dir), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		files[name] = string(b)
		return err
	}))
	return files
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	root := newTree(t)
	require.NoError(t, run(t.Context(), root, false, io.Discard))
	got := apiLines(t, root, "apitest.txt")

	const p = "pkg example.com/apitest, "
	cases := []struct {
		name  string
		lines []string
	}{
		{"functions", []string{
			p + "func New(int, ...string) (*Store, error)",
			p + "func Now() time.Time",
			p + `func Configure(struct{ Name string "json:\"name\""; port int }, interface{ Close() error })`,
		}},
		{"deprecated names", []string{
			p + "func Old //deprecated",
			p + "func Old()",
			p + "type Store struct, OldTimeout //deprecated",
			p + "type Store struct, OldTimeout int",
		}},
		{"methods, promoted ones too", []string{
			p + "method (*Store) Len() int",
			p + "method (Store) Name() string",
			p + "method (Store) Describe() string",
			p + "method (Store) Log(string)",
			p + "method (Store) Read([]uint8) (int, error)",
			p + "method (Base) Describe() string",
			p + "method (*Logger) Log(string)",
		}},
		{"struct fields, embedded ones too", []string{
			p + "type Store struct",
			p + "type Store struct, Timeout time.Duration",
			p + "type Store struct, Tags []string",
			p + "type Store struct, embedded Base",
			p + "type Store struct, embedded *Logger",
			p + "type Store struct, embedded io.Reader",
			p + "type Base struct",
			p + "type Base struct, ID string",
			p + "type Logger struct",
			p + "type Opaque struct",
		}},
		{"interfaces with embedded interfaces", []string{
			p + "type Getter interface { Get }",
			p + "type Getter interface, Get(context.Context, string) ([]uint8, error)",
			p + "type GetSetCloser interface { Close, Get, Set }",
			p + "type GetSetCloser interface, Close() error",
			p + "type GetSetCloser interface, Get(context.Context, string) ([]uint8, error)",
			p + "type GetSetCloser interface, Set(string, []uint8) error",
			p + "type Sealed interface, Kind() string",
			p + "type Sealed interface, unexported methods",
			p + "type Empty interface {}",
			p + "type Number interface { ~int | ~int64 | ~float64 }",
		}},
		{"generic types and functions", []string{
			p + "type List[$0 interface{}] struct",
			p + "type List[$0 interface{}] struct, Items []$0",
			p + "method (*List[$0]) Push($0)",
			p + "method (List[$0]) All() []$0",
			p + "type Pair[$0 comparable, $1 interface{}] struct",
			p + "type Pair[$0 comparable, $1 interface{}] struct, Key $0",
			p + "type Pair[$0 comparable, $1 interface{}] struct, Value $1",
			p + "func Map[$0 interface{}, $1 interface{}]([]$0, func($0) $1) []$1",
			p + "func Sum[$0 Number](...$0) $0",
			p + "var Ints List[int]",
		}},
		{"aliases", []string{
			p + "type Set[$0 comparable] = map[$0]struct{}",
			p + "type Handler = func(context.Context) error",
		}},
		{"consts with iota", []string{
			p + "type Level int",
			p + "const Debug Level",
			p + "const Debug = 0",
			p + "const Info Level",
			p + "const Info = 1",
			p + "const Warn Level",
			p + "const Warn = 2",
			p + "const KiB ideal-int",
			p + "const KiB = 1024",
			p + "const MiB ideal-int",
			p + "const MiB = 1048576",
		}},
		{"typed and untyped consts", []string{
			p + "const DefaultLease time.Duration",
			p + "const DefaultLease = 60000000000",
			p + "const Name ideal-string",
			p + `const Name = "apitest"`,
			p + "const Pi ideal-float",
			p + "const Pi = 3.14159  // 314159265358979323846264338327950288419716939937510582097494459/100000000000000000000000000000000000000000000000000000000000000",
		}},
		{"vars", []string{
			p + "var ErrClosed error",
			p + "var Width int",
			p + "var Height int",
		}},
		{"another package of the module", []string{
			"pkg example.com/apitest/sub, func Wrap(*apitest.Store) apitest.Level",
		}},
	}
	var all []string
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, line := range c.lines {
				assert.Contains(t, got, line)
			}
		})
		all = append(all, c.lines...)
	}
	t.Run("nothing else, sorted", func(t *testing.T) {
		// Unexported names, the internal and main packages and _test.go
		// files add no line.
		slices.Sort(all)
		assert.Equal(t, all, got)
	})
	t.Run("a module without importable package", func(t *testing.T) {
		assert.Equal(t, []string{
			"# example.com/apitest/extra/tool has no importable package (only main and internal/ packages), so no exported API.",
		}, apiLines(t, root, "extra_tool.txt"))
	})
	t.Run("one file per module", func(t *testing.T) {
		files := readAPI(t, root)
		assert.Equal(t, []string{"apitest.txt", "extra_tool.txt"}, slices.Sorted(maps.Keys(files)))
	})
}

func TestDescribeDeterministic(t *testing.T) {
	t.Parallel()
	root := newTree(t)
	require.NoError(t, run(t.Context(), root, false, io.Discard))
	first := readAPI(t, root)
	require.NoError(t, os.RemoveAll(filepath.Join(root, "api")))
	require.NoError(t, run(t.Context(), root, false, io.Discard))
	assert.Equal(t, first, readAPI(t, root))
}

func TestCheck(t *testing.T) {
	t.Parallel()
	const p = "pkg example.com/apitest, "
	cases := []struct {
		name   string
		change func(t *testing.T, root string) // nil: the tree is as described
		want   []string                        // lines of the output, in order
	}{
		{name: "equal tree"},
		{
			name: "function added",
			change: func(t *testing.T, root string) {
				writeFile(t, root, "added.go", "package apitest\n\n// Added is new.\nfunc Added() {}\n")
			},
			want: []string{"api/apitest.txt:", "+" + p + "func Added()"},
		},
		{
			name: "method removed",
			change: func(t *testing.T, root string) {
				editFile(t, root, "store.go", "func (Store) Name() string", "func (Store) name() string")
			},
			want: []string{"api/apitest.txt:", "-" + p + "method (Store) Name() string"},
		},
		{
			name: "signature changed",
			change: func(t *testing.T, root string) {
				editFile(t, root, "apitest.go", "func Now() time.Time", "func Now() (time.Time, error)")
				editFile(t, root, "apitest.go", "return time.Time{} }", "return time.Time{}, nil }")
			},
			want: []string{
				"api/apitest.txt:",
				"+" + p + "func Now() (time.Time, error)",
				"-" + p + "func Now() time.Time",
			},
		},
		{
			name: "unexported change",
			change: func(t *testing.T, root string) {
				writeFile(t, root, "added.go", "package apitest\n\nfunc added() {}\n")
				writeFile(t, root, "internal/hidden/more.go", "package hidden\n\n// More is internal.\nfunc More() {}\n")
			},
		},
		{
			name: "file missing",
			change: func(t *testing.T, root string) {
				require.NoError(t, os.Remove(filepath.Join(root, "api", "extra_tool.txt")))
			},
			want: []string{
				"api/extra_tool.txt: missing",
				"+# example.com/apitest/extra/tool has no importable package (only main and internal/ packages), so no exported API.",
			},
		},
		{
			name: "file of a module that is gone",
			change: func(t *testing.T, root string) {
				writeFile(t, root, "api/gone.txt", "pkg example.com/gone, func F()\n")
			},
			want: []string{"api/gone.txt: no module is described there any more", "-pkg example.com/gone, func F()"},
		},
		{
			name: "module added",
			change: func(t *testing.T, root string) {
				writeFile(t, root, "lib/go.mod", "module example.com/lib\n\ngo 1.26\n")
				writeFile(t, root, "lib/lib.go", "// Package lib is new.\npackage lib\n\n// V is new.\nconst V = 1\n")
				git(t, root, "add", "lib")
			},
			want: []string{"api/lib.txt: missing", "+pkg example.com/lib, const V = 1", "+pkg example.com/lib, const V ideal-int"},
		},
		{
			name: "same lines, other order",
			change: func(t *testing.T, root string) {
				lines := apiLines(t, root, "apitest.txt")
				slices.Reverse(lines)
				writeFile(t, root, "api/apitest.txt", strings.Join(lines, "\n")+"\n")
			},
			want: []string{"api/apitest.txt:", "  same lines, in another order or with other line endings"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			root := newTree(t)
			require.NoError(t, run(t.Context(), root, false, io.Discard))
			if c.change != nil {
				c.change(t, root)
			}
			before := readAPI(t, root)
			var out bytes.Buffer
			err := run(t.Context(), root, true, &out)
			if c.want == nil {
				require.NoError(t, err)
				assert.Empty(t, out.String())
				assert.Equal(t, before, readAPI(t, root), "-check wrote to api/")
				return
			}
			require.ErrorIs(t, err, errDiffers)
			assert.Contains(t, err.Error(), "go run ./internal/cmd/apidump")
			assert.Equal(t, c.want, splitLines(out.Bytes()))
			assert.Equal(t, before, readAPI(t, root), "-check wrote to api/")

			// Writing makes the check pass.
			require.NoError(t, run(t.Context(), root, false, io.Discard))
			out.Reset()
			require.NoError(t, run(t.Context(), root, true, &out))
			assert.Empty(t, out.String())
		})
	}
}

func TestAPIFileName(t *testing.T) {
	cases := []struct {
		name string
		mod  module
		want string
	}{
		{"root module", module{Dir: ".", Path: "github.com/bankhook/bankhook"}, "bankhook.txt"},
		{"root module with a major version", module{Dir: ".", Path: "example.com/m/v2"}, "m.txt"},
		{"root module of one element", module{Dir: ".", Path: "m"}, "m.txt"},
		{"module in a directory", module{Dir: "redisstore", Path: "github.com/bankhook/bankhook/redisstore"}, "redisstore.txt"},
		{"module in a nested directory", module{Dir: "extra/bankhookotel", Path: "github.com/bankhook/bankhook/extra/bankhookotel"}, "extra_bankhookotel.txt"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, apiFileName(c.mod))
		})
	}
}

func TestFindModulesNameClash(t *testing.T) {
	t.Parallel()
	root := newTree(t)
	// The root module is described in api/apitest.txt; so would this one.
	writeFile(t, root, "apitest/go.mod", "module example.com/other\n\ngo 1.26\n")
	git(t, root, "add", "apitest")
	err := run(t.Context(), root, false, io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `apidump: modules "." and "apitest" would both be described in api/apitest.txt`)
}
