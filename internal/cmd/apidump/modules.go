package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// module is one module of the repository.
type module struct {
	// Dir is the module's directory relative to the repository root, with
	// slashes; "." for the root module.
	Dir string
	// Path is the module path its go.mod declares.
	Path string
	// File is the name of its description under api/.
	File string
}

// findModules returns the modules of the repository at root, found as CI
// finds them (git ls-files 'go.mod' '*/go.mod'), sorted by directory, with
// the names of their files under api/.
func findModules(ctx context.Context, root string) ([]module, error) {
	out, err := gitOutput(ctx, root, "ls-files", "-z", "--", "go.mod", "*/go.mod")
	if err != nil {
		return nil, err
	}
	var mods []module
	for name := range strings.SplitSeq(string(out), "\x00") {
		if name == "" {
			continue
		}
		dir := path.Dir(name)
		modPath, err := modulePath(ctx, filepath.Join(root, filepath.FromSlash(dir)))
		if err != nil {
			return nil, err
		}
		mods = append(mods, module{Dir: dir, Path: modPath})
	}
	if len(mods) == 0 {
		return nil, fmt.Errorf("apidump: no go.mod known to git under %s", root)
	}
	slices.SortFunc(mods, func(a, b module) int { return strings.Compare(a.Dir, b.Dir) })
	byFile := make(map[string]string, len(mods))
	for i, m := range mods {
		mods[i].File = apiFileName(m)
		if other, dup := byFile[mods[i].File]; dup {
			return nil, fmt.Errorf("apidump: modules %q and %q would both be described in api/%s", other, m.Dir, mods[i].File)
		}
		byFile[mods[i].File] = m.Dir
	}
	return mods, nil
}

// majorVersion matches a module path's major version suffix element.
var majorVersion = regexp.MustCompile(`^v[0-9]+$`)

// apiFileName returns the name of m's description under api/: its
// directory with "/" replaced by "_", or for the root module the last
// element of its module path that is not a major version suffix.
func apiFileName(m module) string {
	if m.Dir != "." {
		return strings.ReplaceAll(m.Dir, "/", "_") + ".txt"
	}
	elems := strings.Split(m.Path, "/")
	name := elems[len(elems)-1]
	if len(elems) > 1 && majorVersion.MatchString(name) {
		name = elems[len(elems)-2]
	}
	return name + ".txt"
}

// modulePath returns the module path declared by dir/go.mod.
func modulePath(ctx context.Context, dir string) (string, error) {
	out, err := goOutput(ctx, dir, "mod", "edit", "-json")
	if err != nil {
		return "", err
	}
	var mod struct{ Module struct{ Path string } }
	if err := json.Unmarshal(out, &mod); err != nil {
		return "", fmt.Errorf("apidump: go mod edit -json in %s: %w", dir, err)
	}
	if mod.Module.Path == "" {
		return "", fmt.Errorf("apidump: %s/go.mod declares no module path", dir)
	}
	return mod.Module.Path, nil
}

// describeModules returns the content of every module's file under api/,
// by file name. The modules are loaded in parallel; the result does not
// depend on the order they finish in.
func describeModules(ctx context.Context, root string, mods []module) (map[string][]byte, error) {
	contents := make([][]byte, len(mods))
	errs := make([]error, len(mods))
	var wg sync.WaitGroup
	for i, m := range mods {
		wg.Go(func() {
			lines, err := describeModule(ctx, filepath.Join(root, filepath.FromSlash(m.Dir)), m.Path)
			if err != nil {
				errs[i] = err
				return
			}
			contents[i] = fileContent(m, lines)
		})
	}
	wg.Wait()
	files := make(map[string][]byte, len(mods))
	for i, m := range mods {
		if errs[i] != nil {
			return nil, errs[i]
		}
		files[m.File] = contents[i]
	}
	return files, nil
}

// fileContent returns the text of m's file under api/ for its sorted API
// lines: one line each, or a single comment line when there are none.
func fileContent(m module, lines []string) []byte {
	var b bytes.Buffer
	if len(lines) == 0 {
		fmt.Fprintf(&b, "# %s has no importable package (only main and internal/ packages), so no exported API.\n", m.Path)
		return b.Bytes()
	}
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// loadEnv is the environment of the go commands that load a module: the
// module on its own, as its users build it, for one fixed platform so that
// the description is the same on every host.
func loadEnv() []string {
	return append(os.Environ(), "GOWORK=off", "GOOS=linux", "GOARCH=amd64")
}

// goOutput runs the go command in dir and returns its standard output.
func goOutput(ctx context.Context, dir string, args ...string) ([]byte, error) {
	return command(ctx, dir, loadEnv(), "go", args...)
}

// gitOutput runs git in dir and returns its standard output.
func gitOutput(ctx context.Context, dir string, args ...string) ([]byte, error) {
	return command(ctx, dir, nil, "git", args...)
}

// command runs name with args in dir and returns its standard output, or an
// error carrying its standard error.
func command(ctx context.Context, dir string, env []string, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("apidump: %s %s in %s: %w\n%s", name, strings.Join(args, " "), dir, err, bytes.TrimSpace(stderr.Bytes()))
	}
	return out, nil
}

// trimNewline returns b without its trailing line ending.
func trimNewline(b []byte) []byte {
	return bytes.TrimRight(b, "\r\n")
}
