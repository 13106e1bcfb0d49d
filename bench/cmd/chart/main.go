// Command chart draws bench/results/chart.svg from the output of
// `go test -bench` and of cmd/loadtest: horizontal bars of the median time
// per operation of every sub-benchmark, grouped by benchmark on one log
// scale and annotated with the ratio to the group's baseline (bankhook
// against its peers, the bare handler for the chain), the dedupe store's
// memory against its budget, the loopback requests per second, and the
// targets with this run's verdict. With -summary it also writes the same
// figures as Markdown tables.
//
// The output depends only on the input files: the same results give the
// same bytes.
//
// Usage (from the bench directory):
//
//	go run ./cmd/chart -bench results/bench.txt -loadtest results/loadtest.txt -o results/chart.svg -summary results/summary.md
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("chart", flag.ContinueOnError)
	benchPath := fs.String("bench", "results/bench.txt", "output of go test -bench")
	loadPath := fs.String("loadtest", "results/loadtest.txt", `output of cmd/loadtest; "" for none`)
	outPath := fs.String("o", "results/chart.svg", "the SVG to write")
	summaryPath := fs.String("summary", "", "Markdown tables to write; none when empty")
	if err := fs.Parse(args); err != nil {
		return err
	}

	bf, err := parseFile(*benchPath, parseBench)
	if err != nil {
		return err
	}
	var lf *loadFile
	if *loadPath != "" {
		if lf, err = parseFile(*loadPath, parseLoad); err != nil {
			return err
		}
	}
	if err := os.WriteFile(*outPath, render(bf, lf), 0o644); err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	if *summaryPath != "" {
		if err := os.WriteFile(*summaryPath, summary(bf, lf), 0o644); err != nil {
			return fmt.Errorf("chart: %w", err)
		}
	}
	return nil
}

func parseFile[T any](path string, parse func(io.Reader) (T, error)) (T, error) {
	f, err := os.Open(path)
	if err != nil {
		var zero T
		return zero, fmt.Errorf("chart: %w", err)
	}
	defer f.Close()
	return parse(f)
}
